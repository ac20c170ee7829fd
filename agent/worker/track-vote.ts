import type { Box } from "../../recognition/image.js";
import { type MatchResult, UNKNOWN } from "../../recognition/match.js";

/** The evidence for one candidate name of a track; `representative`: its heaviest vote's face (see NameVote.add). */
type Tally<R> = {
  weight: number;
  frames: number;
  bestDistance?: number;
  bestConfidence?: number;
  representative?: { weight: number; value: R };
};

/** What a track is called, from the frames that voted for it, with the face of the heaviest vote for that name. */
export type VoteLeader<R = never> = {
  identity: string;
  weight: number;
  frames: number;
  distance?: number;
  confidence?: number;
  representative?: R;
};

/**
 * How much one frame's match counts: the face's size (square root of its area, in pixels) times the
 * detector's score. A big, sharp, frontal face outweighs a small or blurry one, so one bad frame
 * doesn't flip a track's name (the way Frigate names its tracked objects).
 */
export function voteWeight(box: Box, score: number): number {
  return Math.sqrt(Math.max(0, box.width) * Math.max(0, box.height)) * Math.max(0, score);
}

/**
 * A weighted vote over a track's frames. "Unknown" is a candidate like any name: a stranger who
 * once resembles someone enrolled stays Unknown.
 */
export class NameVote<R = never> {
  private readonly tallies = new Map<string, Tally<R>>();
  private votes = 0;

  get count(): number {
    return this.votes;
  }

  /**
   * One frame's vote. `representative` (optional) is called only when this vote outweighs every earlier
   * vote for the same name, so whatever it builds (the face's chip and embedding) is made a few times
   * per track, not once per frame.
   */
  add(match: MatchResult, weight: number, representative?: () => R): void {
    const tally: Tally<R> = this.tallies.get(match.identity) ?? { weight: 0, frames: 0 };
    if (representative !== undefined && (tally.representative === undefined || weight > tally.representative.weight))
      tally.representative = { weight, value: representative() };
    tally.weight += weight;
    tally.frames++;
    if ("distance" in match) tally.bestDistance = Math.min(tally.bestDistance ?? Number.POSITIVE_INFINITY, match.distance);
    if ("confidence" in match) tally.bestConfidence = Math.max(tally.bestConfidence ?? 0, match.confidence);
    this.tallies.set(match.identity, tally);
    this.votes++;
  }

  /** The heaviest candidate; ties go to Unknown (never name someone on a coin toss). Undefined before any vote. */
  leader(): VoteLeader<R> | undefined {
    let best: [string, Tally<R>] | undefined;
    for (const entry of this.tallies) {
      if (best === undefined || entry[1].weight > best[1].weight || (entry[1].weight === best[1].weight && entry[0] === UNKNOWN))
        best = entry;
    }
    if (best === undefined) return undefined;
    const [identity, tally] = best;
    const leader: VoteLeader<R> = { identity, weight: tally.weight, frames: tally.frames };
    if (tally.representative !== undefined) leader.representative = tally.representative.value;
    if (tally.bestDistance !== undefined) leader.distance = tally.bestDistance;
    if (tally.bestConfidence !== undefined) leader.confidence = tally.bestConfidence;
    return leader;
  }
}
