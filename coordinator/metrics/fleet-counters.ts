/**
 * What only the bus tells and the fleet state does not keep: plan changes and partition moves since the coordinator
 * started, recognition events by type, how late events reach the coordinator, the gallery's version. The metrics
 * feature feeds it; fleet-metrics.ts writes its snapshot.
 */

import type { HistogramSample } from "../../core/metrics/exposition.js";
import { Histogram } from "../../core/metrics/histogram.js";
import { type RecognitionEvent, recognitionEventSchema } from "../../protocol/event.js";
import type { PartitionPlan } from "../../protocol/plan.js";

export type EventType = RecognitionEvent["type"];
export const EVENT_TYPES: readonly EventType[] = recognitionEventSchema.shape.type.options;

/** Seconds from an event's time (the agent's clock, when its frame was done) to the coordinator receiving it. */
export const DELIVERY_BOUNDS_S = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

export type FleetCountersSnapshot = {
  /** Epoch ms the counters started (the coordinator's start). */
  startedAt: number;
  planChanges: number;
  /** Partitions whose owner changed from one agent to another between consecutive published plans. */
  partitionMoves: number;
  events: Record<EventType, number>;
  delivery: HistogramSample;
  gallery: { version: number; identities: number } | null;
};

export class FleetCounters {
  private planChanges = 0;
  private partitionMoves = 0;
  private lastPlan: Pick<PartitionPlan, "version" | "owners"> | null = null;
  private readonly events = Object.fromEntries(EVENT_TYPES.map((t) => [t, 0])) as Record<EventType, number>;
  private readonly delivery = new Histogram(DELIVERY_BOUNDS_S);
  private gallery: FleetCountersSnapshot["gallery"] = null;

  constructor(readonly startedAt: number = Date.now()) {}

  /** The plan there was when counting began (restored from facefleet.plan): not a change. */
  seedPlan(plan: Pick<PartitionPlan, "version" | "owners"> | null): void {
    this.lastPlan = plan;
  }

  /** A published plan; the same version again (or an older one) counts nothing. */
  notePlan(plan: Pick<PartitionPlan, "version" | "owners"> | null): void {
    if (!plan || (this.lastPlan && plan.version <= this.lastPlan.version)) return;
    this.planChanges++;
    const before = this.lastPlan?.owners ?? {};
    for (const [partition, owner] of Object.entries(plan.owners)) {
      const previous = before[partition];
      if (previous !== undefined && previous !== owner) this.partitionMoves++;
    }
    this.lastPlan = plan;
  }

  noteEvent(event: Pick<RecognitionEvent, "type" | "time">, receivedAt = Date.now()): void {
    this.events[event.type] = (this.events[event.type] ?? 0) + 1;
    // Agents' clocks are not the coordinator's: a negative delay is skew, counted as none.
    this.delivery.observe(Math.max(0, receivedAt - event.time) / 1000);
  }

  noteGallery(version: number, identities: number): void {
    this.gallery = { version, identities };
  }

  snapshot(): FleetCountersSnapshot {
    return {
      startedAt: this.startedAt,
      planChanges: this.planChanges,
      partitionMoves: this.partitionMoves,
      events: { ...this.events },
      delivery: this.delivery.sample(),
      gallery: this.gallery,
    };
  }
}
