/**
 * The fleet as Prometheus series (GET /api/metrics): agents online, each agent's fps, capacity, per-stage latency
 * (the p50/p95 its health reports, as a summary: health carries percentiles, not buckets) and embeddings, each
 * partition's fps, lag and owner, the plan's version and changes, recognition events by type, alerts and the
 * gallery. Reads the fleet state and the counters the metrics feature keeps from the bus; writes text.
 */
import type { FleetState } from "../fleet-state.js";
import { ExpositionWriter, type Sample, type SummarySample } from "./exposition.js";

/** What the metrics feature counts from the bus since the coordinator started. */
export type BusCounters = {
  eventsByType: ReadonlyMap<string, number>;
  planChanges: number;
  alerts: number;
  gallery: { version: number; identities: number } | null;
};

export const EVENT_TYPES = ["person_seen", "person_left", "unknown_person", "watchlist_hit"] as const;

export function fleetMetricsText(fleet: FleetState, counters: BusCounters, now = Date.now()): string {
  const out = new ExpositionWriter();
  const records = fleet.registry.all();
  const live = new Set(fleet.registry.liveIds(now));
  const reporting = records.filter((r) => r.health !== null);
  const agent = (id: string, more: Record<string, string> = {}) => ({ agent: id, ...more });

  out.gauge("facefleet_agents_online", "Agents online (status online and health within the liveness window).", [{ value: live.size }]);
  out.gauge("facefleet_agents_known", "Agents the coordinator has seen since it started.", [{ value: records.length }]);
  out.gauge(
    "facefleet_agent_up",
    "1 while the agent is online, 0 when it is lost or offline.",
    records.map((r) => ({ labels: agent(r.id), value: live.has(r.id) ? 1 : 0 })),
  );
  out.gauge(
    "facefleet_agent_frames_per_second",
    "Frames per second the agent takes in and puts out (its last health report).",
    reporting.flatMap((r) => [
      { labels: agent(r.id, { direction: "in" }), value: r.health?.fps.in ?? 0 },
      { labels: agent(r.id, { direction: "out" }), value: r.health?.fps.out ?? 0 },
    ]),
  );
  out.gauge(
    "facefleet_agent_capacity_frames_per_second",
    "Frames per second the agent has shown it can process (the planner's capacity).",
    reporting.map((r) => ({ labels: agent(r.id), value: r.health?.capacityFps ?? 0 })),
  );
  const latency: SummarySample[] = reporting.flatMap((r) =>
    Object.entries(r.health?.latencyMs ?? {}).map(([stage, p]) => ({
      labels: agent(r.id, { stage }),
      quantiles: [
        [0.5, p.p50 / 1000],
        [0.95, p.p95 / 1000],
      ] as const,
    })),
  );
  out.summary("facefleet_agent_stage_latency_seconds", "Per-stage processing time of the agent's recent frames (p50, p95).", latency);
  const embeddings: Sample[] = reporting.flatMap((r) =>
    r.health?.embeddings
      ? [
          { labels: agent(r.id, { result: "run" }), value: r.health.embeddings.run },
          { labels: agent(r.id, { result: "skipped" }), value: r.health.embeddings.skipped },
        ]
      : [],
  );
  out.counter(
    "facefleet_agent_embeddings_total",
    "Faces embedded (run) and not embedded because their track was named (skipped).",
    embeddings,
  );

  const plan = fleet.keeper.plan;
  const loads = fleet.meter.current();
  const partition = (p: number) => ({ partition: String(p) });
  out.gauge(
    "facefleet_partition_frames_per_second",
    "Frames per second arriving on each partition of the frames topic.",
    loads.map((l) => ({ labels: partition(l.partition), value: l.fps })),
  );
  out.gauge(
    "facefleet_partition_lag_frames",
    "Frames on each partition not yet processed by the inference group (absent until measured).",
    loads.filter((l) => l.lag !== null).map((l) => ({ labels: partition(l.partition), value: l.lag as number })),
  );
  out.gauge(
    "facefleet_partition_owner",
    "1 for the agent the plan gives each partition.",
    Object.entries(plan?.owners ?? {}).map(([p, owner]) => ({ labels: { partition: p, agent: owner }, value: 1 })),
  );
  out.gauge("facefleet_plan_version", "Version of the partition plan in force (0 before the first).", [{ value: plan?.version ?? 0 }]);
  out.counter("facefleet_plan_changes_total", "Plans published since the coordinator started.", [{ value: counters.planChanges }]);
  out.counter(
    "facefleet_recognition_events_total",
    "Recognition events read from facefleet.events since the coordinator started, by type.",
    EVENT_TYPES.map((type) => ({ labels: { type }, value: counters.eventsByType.get(type) ?? 0 })),
  );
  out.counter("facefleet_unknown_person_alerts_total", "Unknown-person alerts raised since the coordinator started.", [
    { value: counters.alerts },
  ]);
  if (counters.gallery) {
    out.gauge("facefleet_gallery_version", "Version of the gallery the coordinator follows.", [{ value: counters.gallery.version }]);
    out.gauge("facefleet_gallery_identities", "People enrolled in the gallery.", [{ value: counters.gallery.identities }]);
  }
  return out.text();
}
