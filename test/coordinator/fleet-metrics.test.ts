/** What the coordinator's /metrics says of a fleet (coordinator/metrics/fleet-metrics.ts, fleet-counters.ts), from plain state. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { FleetCounters } from "../../coordinator/metrics/fleet-counters.js";
import { fleetMetricsText } from "../../coordinator/metrics/fleet-metrics.js";
import type { AgentView, PlanView } from "../../protocol/api.js";
import type { AgentHealth } from "../../protocol/health.js";
import type { PartitionPlan } from "../../protocol/plan.js";
import { parsePromText, promtoolCheck, samplesOf, sampleValue } from "../support/prom-text.js";

const health = (agentId: string, o: Partial<AgentHealth> = {}): AgentHealth => ({
  schemaVersion: 1,
  agentId,
  time: 1_700_000_000_000,
  agentVersion: "0.1.0",
  device: { model: 'Raspberry Pi 4 "B"', arch: "arm64", accelerator: null },
  cpu: { loadPerCore: [50, 30], temperatureC: 55.5, throttled: null },
  gpu: null,
  memory: { usedMiB: 100, totalMiB: 4000 },
  disk: null,
  models: [],
  fps: { in: 5, out: 4.5 },
  latencyMs: { total: { p50: 80, p95: 120 }, detect: { p50: 40, p95: 60 } },
  capacityFps: 12.5,
  embeddings: { run: 10, skipped: 3 },
  attributes: { estimates: 4, msPerFrame: { p50: 0.1, p95: 9 }, msPerEstimate: 8.5 },
  partitions: [],
  galleryVersion: 2,
  cameras: [],
  drained: false,
  inference: true,
  ...o,
});

const plan = (version: number, owners: Record<string, string>, pins: Record<string, string> = {}): PartitionPlan => ({
  schemaVersion: 1,
  version,
  createdAt: 1,
  topic: "facefleet.frames",
  partitionCount: Object.keys(owners).length,
  owners,
  pins,
  cameras: {},
  drained: [],
  reason: "test",
});

test("counters: the restored plan is no change; each newer version is one, and each partition that changed owner one move", () => {
  const c = new FleetCounters(1000);
  c.seedPlan(plan(3, { "0": "a", "1": "b", "2": "a" }));
  c.notePlan(plan(3, { "0": "a", "1": "b", "2": "a" })); // the same version again: nothing
  assert.deepEqual([c.snapshot().planChanges, c.snapshot().partitionMoves], [0, 0]);
  c.notePlan(plan(4, { "0": "b", "1": "b", "2": "a", "3": "c" })); // 0 moved; 3 is a first placement
  c.notePlan(plan(5, { "0": "a", "1": "c", "2": "a", "3": "c" })); // 0 and 1 moved
  c.notePlan(plan(2, { "0": "z" })); // older: ignored
  c.notePlan(null);
  assert.deepEqual([c.snapshot().planChanges, c.snapshot().partitionMoves], [2, 3]);
});

test("counters: events by type (all types present from the start) and their delivery delay, skew counted as 0", () => {
  const c = new FleetCounters();
  assert.deepEqual(c.snapshot().events, { person_seen: 0, person_left: 0, unknown_person: 0, watchlist_hit: 0 });
  c.noteEvent({ type: "person_seen", time: 10_000 }, 10_300);
  c.noteEvent({ type: "person_seen", time: 10_000 }, 9_000); // the agent's clock runs ahead
  c.noteEvent({ type: "unknown_person", time: 10_000 }, 12_000);
  const s = c.snapshot();
  assert.equal(s.events.person_seen, 2);
  assert.equal(s.events.unknown_person, 1);
  assert.ok(Math.abs(s.delivery.sum - 2.3) < 1e-9);
  assert.equal(
    s.delivery.counts.reduce((a, b) => a + b, 0),
    3,
  );
  assert.equal(s.delivery.counts[0], 1, "the skewed one is in the lowest bucket");
});

test("the fleet's series: agents, latency from health, partitions, plan, events; promtool finds nothing to complain about", () => {
  const counters = new FleetCounters(1_700_000_000_000);
  counters.seedPlan(plan(3, { "0": "a", "1": "b" }));
  counters.notePlan(plan(4, { "0": "b", "1": "b" }));
  counters.noteEvent({ type: "person_seen", time: 1000 }, 1200);
  counters.noteGallery(2, 5);
  const agents: AgentView[] = [
    { id: "b", online: false, status: "offline", lastSeen: null, drained: true, partitions: [0, 1], health: null },
    { id: "a", online: true, status: "online", lastSeen: 1_700_000_001_500, drained: false, partitions: [], health: health("a") },
  ];
  const planView: PlanView = {
    plan: plan(4, { "0": "b", "1": "b" }, { "1": "b" }),
    loads: [
      { partition: 1, fps: 2, lag: null, costMsPerFrame: null },
      { partition: 0, fps: 3.5, lag: 7, costMsPerFrame: 80 },
    ],
  };
  const text = fleetMetricsText({ agents, plan: planView, counters: counters.snapshot() });
  const m = parsePromText(text);
  assert.equal(sampleValue(m, "facefleet_coordinator_start_time_seconds"), 1_700_000_000);
  assert.equal(sampleValue(m, "facefleet_agents_online"), 1);
  assert.equal(sampleValue(m, "facefleet_agents_known"), 2);
  assert.equal(sampleValue(m, "facefleet_agent_up", { agent: "a" }), 1);
  assert.equal(sampleValue(m, "facefleet_agent_up", { agent: "b" }), 0);
  assert.equal(sampleValue(m, "facefleet_agent_drained", { agent: "b" }), 1);
  assert.equal(sampleValue(m, "facefleet_agent_partitions", { agent: "b" }), 2);
  assert.equal(sampleValue(m, "facefleet_agent_last_seen_timestamp_seconds", { agent: "a" }), 1_700_000_001.5);
  assert.equal(samplesOf(m, "facefleet_agent_last_seen_timestamp_seconds", { agent: "b" }).length, 0, "never seen: no sample");
  assert.equal(sampleValue(m, "facefleet_agent_info", { agent: "a", device: 'Raspberry Pi 4 "B"', accelerator: "none" }), 1);
  assert.equal(sampleValue(m, "facefleet_agent_fps", { agent: "a", direction: "out" }), 4.5);
  assert.equal(sampleValue(m, "facefleet_agent_capacity_fps", { agent: "a" }), 12.5);
  assert.equal(m.types.get("facefleet_agent_stage_latency_seconds"), "summary");
  assert.equal(sampleValue(m, "facefleet_agent_stage_latency_seconds", { agent: "a", stage: "total", quantile: "0.95" }), 0.12);
  assert.equal(sampleValue(m, "facefleet_agent_stage_latency_seconds", { agent: "a", stage: "detect", quantile: "0.5" }), 0.04);
  assert.equal(sampleValue(m, "facefleet_agent_embeddings_run_total", { agent: "a" }), 10);
  assert.equal(sampleValue(m, "facefleet_agent_embeddings_skipped_total", { agent: "a" }), 3);
  assert.equal(sampleValue(m, "facefleet_agent_attribute_estimates_total", { agent: "a" }), 4);
  assert.equal(sampleValue(m, "facefleet_agent_cpu_load_ratio", { agent: "a" }), 0.4);
  assert.equal(sampleValue(m, "facefleet_agent_memory_total_bytes", { agent: "a" }), 4000 * 1024 * 1024);
  // An agent without health has no health series.
  assert.equal(samplesOf(m, "facefleet_agent_fps", { agent: "b" }).length, 0);
  assert.equal(sampleValue(m, "facefleet_plan_version"), 4);
  assert.equal(sampleValue(m, "facefleet_plan_changes_total"), 1);
  assert.equal(sampleValue(m, "facefleet_partition_moves_total"), 1);
  assert.equal(sampleValue(m, "facefleet_partitions"), 2);
  assert.equal(sampleValue(m, "facefleet_partitions_pinned"), 1);
  assert.equal(sampleValue(m, "facefleet_partition_owner", { partition: "0", agent: "b" }), 1);
  assert.deepEqual(
    samplesOf(m, "facefleet_partition_fps").map((s) => [s.labels.partition, s.value]),
    [
      ["0", 3.5],
      ["1", 2],
    ],
  );
  assert.deepEqual(
    samplesOf(m, "facefleet_partition_consumer_lag").map((s) => [s.labels.partition, s.value]),
    [["0", 7]],
    "a partition without a measured lag has no sample",
  );
  assert.equal(sampleValue(m, "facefleet_recognition_events_total", { type: "person_seen" }), 1);
  assert.equal(sampleValue(m, "facefleet_recognition_events_total", { type: "watchlist_hit" }), 0);
  assert.equal(sampleValue(m, "facefleet_event_delivery_seconds_count"), 1);
  assert.equal(sampleValue(m, "facefleet_event_delivery_seconds_bucket", { le: "+Inf" }), 1);
  assert.equal(sampleValue(m, "facefleet_gallery_identities"), 5);
  // Every sample belongs to a family with HELP and TYPE.
  for (const s of m.samples) {
    const family = [...m.types.keys()].find((f) => s.name === f || s.name.startsWith(`${f}_`));
    assert.ok(family && m.helps.has(family), `${s.name} has HELP and TYPE`);
  }
  const check = promtoolCheck(text);
  assert.equal(check.code, 0, check.output);
  assert.equal(check.output, "", "no lint findings");
});

test("a coordinator with no agents and no plan yet: counts at 0, no plan version, still valid", () => {
  const text = fleetMetricsText({ agents: [], plan: { plan: null, loads: [] }, counters: new FleetCounters(5000).snapshot() });
  const m = parsePromText(text);
  assert.equal(sampleValue(m, "facefleet_agents_online"), 0);
  assert.equal(samplesOf(m, "facefleet_plan_version").length, 0);
  assert.equal(sampleValue(m, "facefleet_plan_changes_total"), 0);
  assert.equal(samplesOf(m, "facefleet_gallery_version").length, 0, "unknown until the gallery changes");
  const check = promtoolCheck(text);
  assert.equal(check.code, 0, check.output);
});
