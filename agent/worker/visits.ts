import { cosineDistance, UNKNOWN } from "../../recognition/match.js";

/**
 * A visit whose track was lost but may come back: a person who leaves and returns within the gap on
 * the same camera is one visit (one person_seen / unknown_person, one person_left at its end).
 */
export type EndedVisit<E> = {
  /** The track id its events carry; a returning track takes it over. */
  id: string;
  firstSeq: number;
  identity: string;
  /** The lost track's aggregate embedding: how an Unknown who returns is recognised as the same stranger. */
  aggregate: Float32Array | undefined;
  announced: Set<string>;
  lastCaptureTime: number;
  /** Sent when the gap runs out without a return. */
  left: E;
};

/** The ended visits of one camera, waiting `gapMs` (capture time) for their person to return. */
export class EndedVisits<E> {
  private visits: EndedVisit<E>[] = [];

  constructor(private readonly gapMs: number) {}

  get size(): number {
    return this.visits.length;
  }

  hold(visit: EndedVisit<E>): void {
    this.visits.push(visit);
  }

  /** The visits whose gap has run out at `captureTime`, removed. */
  expire(captureTime: number): EndedVisit<E>[] {
    const over = this.visits.filter((v) => captureTime - v.lastCaptureTime > this.gapMs);
    if (over.length > 0) this.visits = this.visits.filter((v) => !over.includes(v));
    return over;
  }

  /** Every held visit, removed (the camera started afresh, went quiet, or the agent stops). */
  flush(): EndedVisit<E>[] {
    const all = this.visits;
    this.visits = [];
    return all;
  }

  /**
   * The ended visit a track decided as `identity` continues, removed; undefined when none. A name
   * continues the latest visit of the same name; Unknown continues the latest Unknown visit whose
   * aggregate is within `unknownDistance` of the track's (no distance: strangers never rejoin).
   */
  take(identity: string, aggregate: Float32Array | undefined, unknownDistance: number | undefined): EndedVisit<E> | undefined {
    for (let i = this.visits.length - 1; i >= 0; i--) {
      const visit = this.visits[i] as EndedVisit<E>;
      if (visit.identity !== identity) continue;
      if (identity === UNKNOWN) {
        if (unknownDistance === undefined || aggregate === undefined || visit.aggregate === undefined) continue;
        if (cosineDistance(aggregate, visit.aggregate) > unknownDistance) continue;
      }
      this.visits.splice(i, 1);
      return visit;
    }
    return undefined;
  }
}
