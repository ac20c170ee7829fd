/**
 * The agent's own /metrics without a broker: the `metrics` config section (defaults, errors that name the field),
 * the series from a WorkerStats fed by hand (counters, per-stage histograms, promtool-clean, no family the
 * coordinator also writes), and the HTTP server (content type, HEAD, 404, 405, a port in use named in the error).
 */
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { test } from "node:test";
import { parseAgentConfig } from "../../agent/config.js";
import { agentMetricsText, processSample } from "../../agent/metrics/agent-metrics.js";
import { startMetricsServer } from "../../agent/metrics/metrics-server.js";
import { MAX_CAMERAS, OTHER_CAMERAS, WorkerStats } from "../../agent/worker/stats.js";
import { FleetCounters } from "../../coordinator/metrics/fleet-counters.js";
import { fleetMetricsText } from "../../coordinator/metrics/fleet-metrics.js";
import { parsePromText, promtoolCheck, samplesOf, sampleValue } from "../support/prom-text.js";

/** Only ports 32230-32239 here (test/agent/agent-metrics.test.ts has 32210-32229). */
const PORT = 32230;
const PORT_TAKEN = 32231;

const MODELS = [
  { role: "detector", model: "yunet-2023mar", precision: "fp32", provider: "cpu", sha256: "a".repeat(64) },
  { role: "recognizer", model: "sface-2021dec-int8", precision: "int8", provider: "cpu", sha256: "b".repeat(64) },
];

test("config: metrics off by default on 127.0.0.1:9464; a bad port or host is named in the error", () => {
  const config = parseAgentConfig({ agentId: "pi-1" });
  assert.deepEqual(config.metrics, { enabled: false, host: "127.0.0.1", port: 9464 });
  assert.deepEqual(parseAgentConfig({ agentId: "pi-1", metrics: { enabled: true, host: "0.0.0.0", port: 32230 } }).metrics, {
    enabled: true,
    host: "0.0.0.0",
    port: 32230,
  });
  assert.throws(() => parseAgentConfig({ agentId: "pi-1", metrics: { enabled: true, port: 70_000 } }), /metrics\.port: /);
  assert.throws(() => parseAgentConfig({ agentId: "pi-1", metrics: { port: "9464" } }), /metrics\.port: /);
  assert.throws(() => parseAgentConfig({ agentId: "pi-1", metrics: { port: 9464.5 } }), /metrics\.port: /);
  assert.throws(() => parseAgentConfig({ agentId: "pi-1", metrics: { host: "http://x/" } }), /metrics\.host: must be an address/);
  assert.throws(() => parseAgentConfig({ agentId: "pi-1", metrics: { enable: true } }), /metrics/);
});

function fedStats(): WorkerStats {
  const stats = new WorkerStats("pi-1");
  stats.ownedPartitions = [0, 1];
  stats.lag.set(1, 3).set(0, 0);
  stats.galleryIdentities = 2;
  for (let i = 0; i < 10; i++) {
    stats.frameIn(i % 2);
    stats.frameOut(
      { queue: 40, decode: 4, detect: 20, align: 1, embed: 10, match: 0.1, track: 0.2, annotate: 0, produce: 3, total: 36 },
      i === 0,
      0,
    );
    stats.processed(i < 7 ? "door" : 'hall "B"', 2);
    stats.embedded({ run: 1, skipped: 1 });
  }
  stats.frameIn(0);
  stats.stale("door");
  stats.frameIn(1);
  stats.deadLettered("headers");
  stats.eventsSent(3);
  return stats;
}

test("series: counters and per-stage histograms from the worker's stats, promtool-clean, none the coordinator writes", () => {
  const stats = fedStats();
  const text = agentMetricsText({ agentId: "pi-1", agentVersion: "0.1.0", stats, models: MODELS, process: processSample() });
  const check = promtoolCheck(text);
  assert.equal(check.code, 0, check.output);
  assert.equal(check.output, "", "promtool: no lint findings");
  const m = parsePromText(text);
  for (const s of m.samples) assert.equal(s.labels.agent, "pi-1", `${s.name} has the agent label`);
  assert.equal(sampleValue(m, "facefleet_agent_frames_received_total", { partition: "0" }), 6);
  assert.equal(sampleValue(m, "facefleet_agent_frames_received_total", { partition: "1" }), 6);
  assert.equal(sampleValue(m, "facefleet_agent_frames_processed_total", { camera: "door" }), 7);
  assert.equal(sampleValue(m, "facefleet_agent_frames_processed_total", { camera: 'hall "B"' }), 3);
  assert.equal(sampleValue(m, "facefleet_agent_faces_detected_total", { camera: "door" }), 14);
  assert.equal(sampleValue(m, "facefleet_agent_frames_stale_total", { camera: "door" }), 1);
  assert.equal(sampleValue(m, "facefleet_agent_frames_stale_total", { camera: 'hall "B"' }), 0);
  assert.equal(sampleValue(m, "facefleet_agent_frames_dead_lettered_total", { stage: "headers" }), 1);
  assert.equal(sampleValue(m, "facefleet_agent_frames_dead_lettered_total", { stage: "decode" }), 0);
  assert.equal(sampleValue(m, "facefleet_agent_face_embeddings_total", { result: "run" }), 10);
  assert.equal(sampleValue(m, "facefleet_agent_face_embeddings_total", { result: "skipped" }), 10);
  assert.equal(sampleValue(m, "facefleet_agent_events_sent_total"), 3);
  assert.equal(sampleValue(m, "facefleet_agent_annotated_frames_total"), 1);
  assert.equal(sampleValue(m, "facefleet_agent_assigned_partitions"), 2);
  assert.deepEqual(
    samplesOf(m, "facefleet_agent_partition_consumer_lag").map((s) => [s.labels.partition, s.value]),
    [
      ["0", 0],
      ["1", 3],
    ],
  );
  // Histograms in seconds: total 36 ms falls in (0.025, 0.05]; queue 40 ms too; no attributes stage while none ran.
  assert.equal(m.types.get("facefleet_agent_stage_seconds"), "histogram");
  assert.equal(sampleValue(m, "facefleet_agent_stage_seconds_count", { stage: "total" }), 10);
  assert.ok(Math.abs(sampleValue(m, "facefleet_agent_stage_seconds_sum", { stage: "total" }) - 0.36) < 1e-9);
  assert.equal(sampleValue(m, "facefleet_agent_stage_seconds_bucket", { stage: "total", le: "0.025" }), 0);
  assert.equal(sampleValue(m, "facefleet_agent_stage_seconds_bucket", { stage: "total", le: "0.05" }), 10);
  assert.equal(sampleValue(m, "facefleet_agent_stage_seconds_bucket", { stage: "detect", le: "0.025" }), 10);
  assert.equal(samplesOf(m, "facefleet_agent_stage_seconds_count", { stage: "attributes" }).length, 0);
  assert.deepEqual(
    samplesOf(m, "facefleet_agent_stage_seconds_count").map((s) => s.labels.stage),
    ["queue", "decode", "detect", "align", "embed", "match", "track", "annotate", "produce", "total"],
  );
  stats.frameOut({ total: 50, attributes: 12 }, false, 0);
  const withAttributes = parsePromText(
    agentMetricsText({ agentId: "pi-1", agentVersion: "0.1.0", stats, models: MODELS, process: processSample() }),
  );
  assert.equal(sampleValue(withAttributes, "facefleet_agent_stage_seconds_count", { stage: "attributes" }), 1);
  // Models and process.
  assert.equal(
    sampleValue(m, "facefleet_agent_model_info", {
      role: "recognizer",
      model: "sface-2021dec-int8",
      precision: "int8",
      execution_provider: "cpu",
    }),
    1,
  );
  assert.equal(sampleValue(m, "facefleet_agent_build_info", { version: "0.1.0" }), 1);
  assert.ok(sampleValue(m, "facefleet_agent_process_resident_memory_bytes") > 10 * 1024 * 1024);
  assert.ok(sampleValue(m, "facefleet_agent_process_heap_used_bytes") > 0);
  assert.ok(sampleValue(m, "facefleet_agent_process_cpu_seconds_total") > 0);
  const started = sampleValue(m, "facefleet_agent_process_start_time_seconds");
  assert.ok(started <= Date.now() / 1000 && started > Date.now() / 1000 - 3600, `start time ${started}`);

  // Never a family of the coordinator's /metrics: one Prometheus scrapes both without double counting.
  const coordinator = parsePromText(
    fleetMetricsText({ agents: [], plan: { plan: null, loads: [] }, counters: new FleetCounters().snapshot() }),
  );
  const shared = [...m.types.keys()].filter((name) => coordinator.types.has(name));
  assert.deepEqual(shared, []);
});

test("series: a capture-only agent, and one still loading its models, are promtool-clean too", () => {
  const loading = agentMetricsText({ agentId: "pi-2", agentVersion: "0.1.0", models: [], process: processSample() });
  assert.equal(promtoolCheck(loading).output, "");
  assert.equal(samplesOf(parsePromText(loading), "facefleet_agent_frames_processed_total").length, 0);
  const capture = agentMetricsText({
    agentId: "pi-2",
    agentVersion: "0.1.0",
    models: [],
    capture: {
      producer: { sent: 8, dropped: 1, errors: 0, queueDepth: 2, inFlight: 1, connected: true, reconnects: 0 },
      cameras: { door: { kind: "v4l2", source: "/dev/video0", fps: 10, captured: 12, nextSeq: 12, state: "running", failures: 0 } },
    },
    process: processSample(),
  });
  const check = promtoolCheck(capture);
  assert.equal(check.output, "", check.output);
  const m = parsePromText(capture);
  assert.equal(sampleValue(m, "facefleet_agent_capture_frames_total", { camera: "door" }), 12);
  assert.equal(sampleValue(m, "facefleet_agent_capture_queued_frames"), 3);
  assert.ok(!capture.includes("/dev/video0"), "sources are not in the series (an RTSP URL may hold a password)");
});

test("stats: cameras beyond MAX_CAMERAS share one set of counters", () => {
  const stats = new WorkerStats("pi-1");
  for (let i = 0; i < MAX_CAMERAS + 5; i++) stats.processed(`cam-${i}`, 1);
  stats.stale(`cam-${MAX_CAMERAS + 1}`);
  stats.processed("cam-0", 1);
  assert.equal(stats.cameras.size, MAX_CAMERAS + 1);
  assert.deepEqual(stats.cameras.get(OTHER_CAMERAS), { processed: 5, faces: 5, stale: 1 });
  assert.equal(stats.cameras.get("cam-0")?.processed, 2);
});

test("server: GET and HEAD /metrics with the 0.0.4 content type, 404 elsewhere, 405 for a POST, a port in use named", async (t) => {
  let renders = 0;
  const server = await startMetricsServer(
    { host: "127.0.0.1", port: PORT },
    () => `# HELP x_total x\n# TYPE x_total counter\nx_total ${++renders}\n`,
  );
  t.after(() => server.close());
  assert.equal(server.url, `http://127.0.0.1:${PORT}/metrics`);
  const got = await fetch(server.url);
  assert.equal(got.status, 200);
  assert.equal(got.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(got.headers.get("cache-control"), "no-store");
  assert.equal(await got.text(), "# HELP x_total x\n# TYPE x_total counter\nx_total 1\n");
  assert.match(await (await fetch(`${server.url}?x=1`)).text(), /x_total 2/, "a query string is ignored");
  const head = await fetch(server.url, { method: "HEAD" });
  assert.equal(head.status, 200);
  assert.equal(await head.text(), "");
  assert.equal((await fetch(`http://127.0.0.1:${PORT}/`)).status, 404);
  assert.equal((await fetch(`http://127.0.0.1:${PORT}/metrics/x`)).status, 404);
  const post = await fetch(server.url, { method: "POST", body: "x" });
  assert.equal(post.status, 405);
  assert.equal(post.headers.get("allow"), "GET, HEAD");

  // A render that throws is a 500, logged, and the server goes on.
  const lines: string[] = [];
  const failing = await startMetricsServer(
    { host: "127.0.0.1", port: PORT_TAKEN },
    () => {
      throw new Error("broken series");
    },
    (line) => lines.push(line),
  );
  assert.equal((await fetch(failing.url)).status, 500);
  assert.match(lines.join("\n"), /broken series/);
  await failing.close();

  // The port in use: the error names metrics.port.
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(PORT_TAKEN, "127.0.0.1", resolve));
  try {
    await assert.rejects(
      startMetricsServer({ host: "127.0.0.1", port: PORT_TAKEN }, () => ""),
      /metrics\.port: 127\.0\.0\.1:32231 is in use/,
    );
  } finally {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
  }
  await server.close();
  await assert.rejects(fetch(server.url), "closed: nothing listens any more");
});
