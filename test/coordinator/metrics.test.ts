/**
 * GET /metrics with real parts: a Kafka broker from the jars, `startCoordinator` with its embedded MQTT broker, an
 * in-process agent (real models, the plan's assignment) processing frames of the Hamilton clip. The scrape needs the
 * API token (401 without or with a wrong one), passes `promtool check metrics` without findings, and says what the
 * fleet is: one agent online owning every partition, the plan version /api/plan shows, recognition events counted,
 * the agent's fps, stage latencies and embeddings from its health, per-partition fps and lag.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import kafkajs from "kafkajs";
import { type RunningAgent, startAgent } from "../../agent/agent.js";
import { parseAgentConfig } from "../../agent/config.js";
import { parseCoordinatorConfig } from "../../coordinator/config.js";
import { type RunningCoordinator, startCoordinator } from "../../coordinator/coordinator.js";
import { createKafka } from "../../kafka/client.js";
import type { PlanView } from "../../protocol/api.js";
import { topics } from "../../protocol/topics.js";
import { waitForAsync } from "../../testing/fleet.js";
import { clipFrames, loadClipLabels } from "../../testing/hamilton-clip.js";
import { createPlanTopic, createTopics, frameHeaders, startBroker } from "../../testing/kafka-harness.js";
import { useTestModels } from "../../testing/paths.js";
import { type PromText, parsePromText, promtoolCheck, samplesOf, sampleValue } from "../support/prom-text.js";

const { logLevel, Partitioners } = kafkajs;

useTestModels();

// Ports no other test uses (21290 + the controller's 21291, 18930).
const KAFKA_PORT = 21290;
const MQTT_PORT = 18930;
const TOKEN = "metrics-test-token";
const MQTT_PASSWORD = "metrics-test-mqtt";
const AGENT = "metrics-agent";
const FRAME_INTERVAL_MS = 250;

test("GET /metrics: token required, promtool-clean, and the fleet's real values", { timeout: 300_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-metrics-"));
  const broker = await startBroker(KAFKA_PORT);
  let coordinator: RunningCoordinator | undefined;
  let agent: RunningAgent | undefined;
  let producing = true;
  let flow: Promise<void> = Promise.resolve();
  t.after(async () => {
    producing = false;
    await flow.catch(() => undefined);
    await agent?.stop().catch(() => undefined);
    await coordinator?.stop().catch(() => undefined);
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, 2);
  await createPlanTopic(broker.kafka);

  coordinator = await startCoordinator(
    parseCoordinatorConfig({
      kafka: { brokers: [broker.bootstrap], clientId: "coordinator-metrics" },
      mqtt: { embedded: { host: "127.0.0.1", port: MQTT_PORT, password: MQTT_PASSWORD } },
      http: { host: "127.0.0.1", port: 0, token: TOKEN },
      stateDir: path.join(dir, "coordinator"),
      liveness: { startupGraceMs: 500 },
      loadSampleMs: 1000,
    }),
    { log: () => {}, kafka: createKafka({ brokers: [broker.bootstrap], clientId: "coordinator-metrics" }, logLevel.NOTHING) },
  );
  const { apiUrl } = coordinator;
  const scrape = (headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) => fetch(`${apiUrl}/metrics`, { headers });
  const metrics = async (): Promise<PromText> => {
    const response = await scrape();
    assert.equal(response.status, 200);
    return parsePromText(await response.text());
  };

  // --- Behind the token like /api.
  const none = await scrape({});
  assert.equal(none.status, 401);
  assert.equal(((await none.json()) as { error: string }).error, "unauthorized");
  assert.equal((await scrape({ authorization: "Bearer wrong" })).status, 401);
  assert.equal((await fetch(`${apiUrl}/metrics?token=${TOKEN}`)).status, 401, "no query token outside the stream");
  const first = await scrape();
  assert.equal(first.status, 200);
  assert.equal(first.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  assert.equal(first.headers.get("cache-control"), "no-store");
  const empty = parsePromText(await first.text());
  assert.equal(sampleValue(empty, "facefleet_agents_online"), 0);
  assert.equal(sampleValue(empty, "facefleet_recognition_events_total", { type: "unknown_person" }), 0);

  // --- Documented with the other routes.
  const doc = (await (await fetch(`${apiUrl}/api/openapi.json`)).json()) as {
    paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }>; security?: unknown[] } }>;
  };
  const documented = doc.paths["/metrics"]?.get;
  assert.ok(documented, "GET /metrics is in the OpenAPI document");
  assert.deepEqual(Object.keys(documented.responses).sort(), ["200", "401"]);
  assert.ok(documented.responses["200"]?.content?.["text/plain; version=0.0.4; charset=utf-8"]);

  // --- One agent, processing frames of the clip on one camera.
  const config = parseAgentConfig({
    agentId: AGENT,
    kafka: { brokers: [broker.bootstrap] },
    recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
    worker: {
      assignment: "plan",
      annotated: false,
      maxFrameAgeMs: 0,
      sessionTimeoutMs: 3000,
      heartbeatIntervalMs: 500,
      maxWaitMs: 100,
      statsLogIntervalMs: 0,
    },
    mqtt: { url: `mqtt://127.0.0.1:${MQTT_PORT}`, username: "facefleet", password: MQTT_PASSWORD, healthIntervalMs: 1000 },
  });
  agent = await startAgent(config, { log: () => {}, kafka: createKafka(config.kafka, logLevel.NOTHING) });
  const labels = loadClipLabels();
  const frames = clipFrames(labels);
  const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  flow = (async () => {
    for (let seq = 0; producing; seq++) {
      const now = Date.now();
      await producer.send({
        topic: topics.frames,
        acks: -1,
        messages: [
          {
            key: "cam-m",
            value: frames[seq % frames.length] as Buffer,
            headers: frameHeaders("cam-m", seq, now, { width: labels.width, height: labels.height }),
          },
        ],
      });
      await sleep(Math.max(0, FRAME_INTERVAL_MS - (Date.now() - now)));
    }
    await producer.disconnect();
  })();

  const events = (m: PromText) => samplesOf(m, "facefleet_recognition_events_total").reduce((sum, s) => sum + s.value, 0);
  const embedded = (m: PromText) => samplesOf(m, "facefleet_agent_embeddings_run_total", { agent: AGENT })[0]?.value ?? 0;
  await waitForAsync(
    "the agent online, recognition events and embeddings on /metrics",
    async () => {
      const m = await metrics();
      return sampleValue(m, "facefleet_agents_online") === 1 && events(m) > 0 && embedded(m) > 0;
    },
    180_000,
  );

  // --- The scrape, read when the plan has settled (two reads of /api/plan around it agree).
  let m: PromText | undefined;
  let text = "";
  let plan: PlanView | undefined;
  await waitForAsync(
    "a scrape between two equal plans",
    async () => {
      const before = (await (await fetch(`${apiUrl}/api/plan`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as PlanView;
      const response = await scrape();
      text = await response.text();
      plan = (await (await fetch(`${apiUrl}/api/plan`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as PlanView;
      m = parsePromText(text);
      // The frames/s of a partition is the growth of its end offset between two load samples: on a loaded machine
      // the camera's producer can miss a sample, so the scrape waits for one that saw frames come in.
      const flowing = samplesOf(m, "facefleet_partition_fps").some((s) => s.value > 0);
      return before.plan?.version === plan.plan?.version && Object.keys(plan.plan?.owners ?? {}).length === 2 && flowing;
    },
    60_000,
  );
  assert.ok(m && plan?.plan);
  const check = promtoolCheck(text);
  assert.equal(check.code, 0, check.output);
  assert.equal(check.output, "", "promtool: no lint findings");

  assert.equal(sampleValue(m, "facefleet_agents_online"), 1);
  assert.equal(sampleValue(m, "facefleet_agent_up", { agent: AGENT }), 1);
  assert.equal(sampleValue(m, "facefleet_plan_version"), plan.plan.version);
  assert.ok(sampleValue(m, "facefleet_plan_changes_total") >= 1, "the first plan was published after the start");
  assert.equal(sampleValue(m, "facefleet_partition_moves_total"), 0, "one agent: placements, no moves");
  assert.equal(sampleValue(m, "facefleet_partitions"), 2);
  assert.equal(sampleValue(m, "facefleet_agent_partitions", { agent: AGENT }), 2);
  for (const partition of ["0", "1"]) assert.equal(sampleValue(m, "facefleet_partition_owner", { partition, agent: AGENT }), 1);
  assert.equal(samplesOf(m, "facefleet_partition_fps").length, 2);
  assert.ok(
    samplesOf(m, "facefleet_partition_fps").some((s) => s.value > 0),
    "the camera's partition has frames coming in",
  );
  for (const s of samplesOf(m, "facefleet_partition_consumer_lag")) assert.ok(s.value >= 0);
  assert.ok(events(m) > 0);
  assert.ok(sampleValue(m, "facefleet_event_delivery_seconds_count") === events(m), "every event's delivery is observed");
  assert.equal(sampleValue(m, "facefleet_event_delivery_seconds_bucket", { le: "+Inf" }), events(m));
  assert.ok(sampleValue(m, "facefleet_agent_fps", { agent: AGENT, direction: "in" }) >= 0);
  assert.ok(sampleValue(m, "facefleet_agent_capacity_fps", { agent: AGENT }) > 0, "the agent has measured itself");
  const total95 = sampleValue(m, "facefleet_agent_stage_latency_seconds", { agent: AGENT, stage: "total", quantile: "0.95" });
  const total50 = sampleValue(m, "facefleet_agent_stage_latency_seconds", { agent: AGENT, stage: "total", quantile: "0.5" });
  assert.ok(total50 > 0 && total95 >= total50, `total p50 ${total50} s, p95 ${total95} s`);
  assert.ok(sampleValue(m, "facefleet_agent_stage_latency_seconds", { agent: AGENT, stage: "detect", quantile: "0.5" }) > 0);
  assert.ok(embedded(m) > 0);
  assert.ok(sampleValue(m, "facefleet_agent_embeddings_skipped_total", { agent: AGENT }) >= 0);
  assert.ok(sampleValue(m, "facefleet_agent_memory_total_bytes", { agent: AGENT }) > 0);
  // The agents' API and /metrics agree on who is there.
  const agents = (await (await fetch(`${apiUrl}/api/agents`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as {
    agents: { id: string; online: boolean }[];
  };
  assert.deepEqual(
    agents.agents.filter((a) => a.online).map((a) => a.id),
    [AGENT],
  );
});
