/**
 * The series GET /metrics exposes, and where each comes from: the agents (the registry's views, with their last
 * health report: liveness, fps, per-stage latency percentiles, embeddings run/skipped, device), the plan and the
 * measured load per partition (the plan keeper and the load meter, as /api/plan shows them), and what the bus counted
 * (fleet-counters.ts: plan changes, partition moves, recognition events, event delivery, gallery). A pure function of
 * its input, so it is tested without a fleet. Latencies in seconds, memory in bytes, ratios 0..1 (Prometheus' base units).
 */

import { EXPOSITION_CONTENT_TYPE, ExpositionWriter, type Sample } from "../../core/metrics/exposition.js";
import type { AgentView, PlanView } from "../../protocol/api.js";
import type { AgentHealth } from "../../protocol/health.js";
import { EVENT_TYPES, type FleetCountersSnapshot } from "./fleet-counters.js";

export { EXPOSITION_CONTENT_TYPE };

export type FleetMetricsInput = {
  agents: readonly AgentView[];
  plan: PlanView;
  counters: FleetCountersSnapshot;
};

type Reporting = { id: string; health: AgentHealth };

const seconds = (ms: number) => ms / 1000;
const MIB = 1024 * 1024;

/** One sample per agent that has a value (`value` returns null for the others). */
function perAgent<T extends { id: string }>(agents: readonly T[], value: (agent: T) => number | null | undefined): Sample[] {
  const samples: Sample[] = [];
  for (const agent of agents) {
    const v = value(agent);
    if (v !== null && v !== undefined) samples.push({ labels: { agent: agent.id }, value: v });
  }
  return samples;
}

function writeAgents(w: ExpositionWriter, agents: readonly AgentView[]): void {
  const reporting: Reporting[] = agents.flatMap((a) => (a.health ? [{ id: a.id, health: a.health }] : []));
  w.gauge("facefleet_agents_online", "Agents live now: status online and a health report within liveness.missedHealthMs.", [
    { value: agents.filter((a) => a.online).length },
  ])
    .gauge("facefleet_agents_known", "Agents the coordinator has heard of since it started (live or not).", [{ value: agents.length }])
    .gauge(
      "facefleet_agent_up",
      "1 while the agent is live, 0 when it is offline or its health reports stopped.",
      perAgent(agents, (a) => (a.online ? 1 : 0)),
    )
    .gauge(
      "facefleet_agent_drained",
      "1 while the operator has the agent drained.",
      perAgent(agents, (a) => (a.drained ? 1 : 0)),
    )
    .gauge(
      "facefleet_agent_partitions",
      "Partitions of the frames topic the current plan gives the agent.",
      perAgent(agents, (a) => a.partitions.length),
    )
    .gauge(
      "facefleet_agent_last_seen_timestamp_seconds",
      "When the coordinator last received the agent's status or health (Unix time).",
      perAgent(agents, (a) => (a.lastSeen === null ? null : seconds(a.lastSeen))),
    )
    .gauge(
      "facefleet_agent_info",
      "The agent's version, device and accelerator (always 1).",
      reporting.map(({ id, health }) => ({
        labels: { agent: id, version: health.agentVersion, device: health.device.model, accelerator: health.device.accelerator ?? "none" },
        value: 1,
      })),
    )
    .gauge(
      "facefleet_agent_fps",
      "Frames per second the agent's worker takes in and puts out (its last health report).",
      reporting.flatMap(({ id, health }) => [
        { labels: { agent: id, direction: "in" }, value: health.fps.in },
        { labels: { agent: id, direction: "out" }, value: health.fps.out },
      ]),
    )
    .gauge(
      "facefleet_agent_capacity_fps",
      "Frames per second the agent has shown it can process (the planner's capacity).",
      perAgent(reporting, (a) => a.health.capacityFps),
    )
    .summary(
      "facefleet_agent_stage_latency_seconds",
      "Per-stage processing time of the agent's recent frames (queue, decode, detect, align, embed, match, track, attributes while on, annotate, produce, total): p50 and p95 of its sliding window.",
      reporting.flatMap(({ id, health }) =>
        Object.entries(health.latencyMs)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([stage, p]) => ({
            labels: { agent: id, stage },
            quantiles: [
              [0.5, seconds(p.p50)],
              [0.95, seconds(p.p95)],
            ] as const,
          })),
      ),
    )
    .counter(
      "facefleet_agent_embeddings_run_total",
      "Faces the agent's worker aligned and embedded since it started.",
      perAgent(reporting, (a) => a.health.embeddings?.run),
    )
    .counter(
      "facefleet_agent_embeddings_skipped_total",
      "Faces not embedded because their track was already named (recognise once per track), since the worker started.",
      perAgent(reporting, (a) => a.health.embeddings?.skipped),
    )
    .counter(
      "facefleet_agent_attribute_estimates_total",
      "Faces whose attributes (emotion, age, gender: worker.attributes) the agent's worker estimated since it started; absent while none is on.",
      perAgent(reporting, (a) => a.health.attributes?.estimates),
    )
    .gauge(
      "facefleet_agent_gallery_version",
      "The gallery version the agent matches with.",
      perAgent(reporting, (a) => a.health.galleryVersion),
    )
    .gauge(
      "facefleet_agent_cpu_load_ratio",
      "The agent's CPU load, mean over its cores (0..1).",
      perAgent(reporting, ({ health: { cpu } }) =>
        cpu.loadPerCore.length === 0 ? null : cpu.loadPerCore.reduce((s, l) => s + l, 0) / cpu.loadPerCore.length / 100,
      ),
    )
    .gauge(
      "facefleet_agent_cpu_temperature_celsius",
      "The agent's CPU temperature, where it can be read.",
      perAgent(reporting, (a) => a.health.cpu.temperatureC),
    )
    .gauge(
      "facefleet_agent_memory_used_bytes",
      "Memory in use on the agent's device.",
      perAgent(reporting, (a) => a.health.memory.usedMiB * MIB),
    )
    .gauge(
      "facefleet_agent_memory_total_bytes",
      "Memory of the agent's device.",
      perAgent(reporting, (a) => a.health.memory.totalMiB * MIB),
    );
}

function writePlan(w: ExpositionWriter, { plan, loads }: PlanView, counters: FleetCountersSnapshot): void {
  const byPartition = [...loads].sort((a, b) => a.partition - b.partition);
  w.gauge(
    "facefleet_plan_version",
    "Version of the current partition plan (absent before the first).",
    plan ? [{ value: plan.version }] : [],
  )
    .counter("facefleet_plan_changes_total", "Plan versions published since the coordinator started.", [{ value: counters.planChanges }])
    .counter(
      "facefleet_partition_moves_total",
      "Partitions that went from one agent to another in a published plan, since the coordinator started (first placements not counted).",
      [{ value: counters.partitionMoves }],
    )
    .gauge("facefleet_partitions", "Partitions of the frames topic.", [{ value: plan?.partitionCount ?? loads.length }])
    .gauge("facefleet_partitions_pinned", "Partitions the operator pinned to an agent.", [{ value: Object.keys(plan?.pins ?? {}).length }])
    .gauge(
      "facefleet_partition_owner",
      "The agent the current plan gives the partition (always 1).",
      Object.entries(plan?.owners ?? {})
        .sort(([a], [b]) => Number(a) - Number(b))
        .map(([partition, agent]) => ({ labels: { partition, agent }, value: 1 })),
    )
    .gauge(
      "facefleet_partition_fps",
      "Frames per second arriving on the partition (end offsets over time).",
      byPartition.map((l) => ({ labels: { partition: String(l.partition) }, value: l.fps })),
    )
    .gauge(
      "facefleet_partition_consumer_lag",
      "Frames on the partition the inference group has not committed yet (end offset minus committed offset).",
      byPartition.flatMap((l) => (l.lag === null ? [] : [{ labels: { partition: String(l.partition) }, value: l.lag }])),
    );
}

function writeEvents(w: ExpositionWriter, counters: FleetCountersSnapshot): void {
  w.counter(
    "facefleet_recognition_events_total",
    "Recognition events read from facefleet.events since the coordinator started, by type.",
    EVENT_TYPES.map((type) => ({ labels: { type }, value: counters.events[type] ?? 0 })),
  ).histogram(
    "facefleet_event_delivery_seconds",
    "From an event's time (the agent's clock, its frame done) to the coordinator reading it; clock skew counts as 0.",
    [counters.delivery],
  );
  if (counters.gallery)
    w.gauge("facefleet_gallery_version", "Version of the gallery (facefleet.gallery) after its last change.", [
      { value: counters.gallery.version },
    ]).gauge("facefleet_gallery_identities", "People enrolled in the gallery after its last change.", [
      { value: counters.gallery.identities },
    ]);
}

/** The exposition text (format 0.0.4) of the fleet as the input has it. */
export function fleetMetricsText(input: FleetMetricsInput): string {
  const w = new ExpositionWriter();
  w.gauge("facefleet_coordinator_start_time_seconds", "When the coordinator started (Unix time).", [
    { value: seconds(input.counters.startedAt) },
  ]);
  writeAgents(
    w,
    [...input.agents].sort((a, b) => a.id.localeCompare(b.id)),
  );
  writePlan(w, input.plan, input.counters);
  writeEvents(w, input.counters);
  return w.text();
}
