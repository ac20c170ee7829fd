/**
 * The coordinator against an external broker (Debian's Mosquitto, port 18837) and a real Kafka (ports
 * 20292/20293), in-process, with an MQTT client standing in for an agent's reports: the registry, the
 * plan (compacted topic and retained MQTT), drain as a command with its ack, a last will, the API's
 * refusals (401, 400 naming the field, 404, 409) and Home Assistant discovery for a camera's events.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import type { MqttClient } from "mqtt";
import { parseCoordinatorConfig } from "../../coordinator/config.js";
import { type RunningCoordinator, startCoordinator } from "../../coordinator/coordinator.js";
import { readPlanTopic } from "../../kafka/plan-topic.js";
import { COMMAND_SCHEMA_VERSION } from "../../protocol/command.js";
import { EVENT_SCHEMA_VERSION, type RecognitionEvent } from "../../protocol/event.js";
import { type AgentHealth, HEALTH_SCHEMA_VERSION } from "../../protocol/health.js";
import { mqttTopics } from "../../protocol/mqtt-topics.js";
import { type PartitionPlan, partitionPlanSchema, partitionsOf } from "../../protocol/plan.js";
import { topics } from "../../protocol/topics.js";
import { CoordinatorApi } from "../../testing/fleet.js";
import { createPlanTopic, createTopics, startBroker } from "../../testing/kafka-harness.js";
import { connectOnce, Recorder } from "../mqtt/mqtt-helpers.js";
import { startMosquitto } from "../support/mosquitto.js";

const TOKEN = "mosquitto-test-token-0123456789";
const auth = { username: "facefleet", password: "mosquitto-coordinator-secret" };

function health(agentId: string, partitions: number[] = []): AgentHealth {
  return {
    schemaVersion: HEALTH_SCHEMA_VERSION,
    agentId,
    time: Date.now(),
    agentVersion: "test",
    device: { model: "test box", arch: "x64", accelerator: null },
    cpu: { loadPerCore: [10, 20], temperatureC: null, throttled: null },
    gpu: null,
    memory: { usedMiB: 100, totalMiB: 1000 },
    disk: null,
    models: [],
    fps: { in: 0, out: 0 },
    latencyMs: { total: { p50: 40, p95: 60 } },
    capacityFps: 25,
    partitions: partitions.map((partition) => ({ topic: topics.frames, partition, lag: 0 })),
    galleryVersion: 0,
    drained: false,
    cameras: [],
    inference: true,
  };
}

test("coordinator on Mosquitto: registry, plan on Kafka and MQTT, drain ack, last will, API refusals, Home Assistant", {
  timeout: 120_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-coord-mosq-"));
  const kafka = await startBroker(20292);
  const mosquitto = await startMosquitto(18837, auth);
  let coordinator: RunningCoordinator | undefined;
  const clients: MqttClient[] = [];
  t.after(async () => {
    for (const c of clients) await c.endAsync().catch(() => undefined);
    await coordinator?.stop();
    await mosquitto.stop();
    await kafka.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await createTopics(kafka.kafka, 4);
  await createPlanTopic(kafka.kafka);

  // A config error names the field.
  assert.throws(() => parseCoordinatorConfig({ http: { port: "80" } }), /config: http\.port: /);
  assert.throws(() => parseCoordinatorConfig({ mqtt: { external: { url: "localhost" } } }), /mqtt/);

  const config = parseCoordinatorConfig({
    kafka: { brokers: [kafka.bootstrap], clientId: "coordinator-test" },
    mqtt: { external: { url: mosquitto.url, ...auth } },
    http: { port: 0, token: TOKEN },
    stateDir: path.join(dir, "state"),
    liveness: { missedHealthMs: 3000, startupGraceMs: 500 },
    loadSampleMs: 500,
    commandTimeoutMs: 3000,
    homeAssistant: { enabled: true },
  });
  coordinator = await startCoordinator(config, { log: () => {} });
  const api = new CoordinatorApi(coordinator.apiUrl, TOKEN);

  // An agent (an MQTT client with the agent's topics and last will).
  const agent = await connectOnce(mosquitto.url, {
    ...auth,
    clientId: "agent-m",
    keepalive: 1,
    will: { topic: mqttTopics.status("agent-m"), payload: Buffer.from("offline"), qos: 1, retain: true },
  });
  clients.push(agent);
  const agentInbox = new Recorder(agent);
  await agent.subscribeAsync(mqttTopics.command("agent-m"), { qos: 1 });
  await agent.publishAsync(mqttTopics.status("agent-m"), "online", { qos: 1, retain: true });
  await agent.publishAsync(mqttTopics.health("agent-m"), JSON.stringify(health("agent-m")), { qos: 1 });
  const reports = setInterval(() => {
    if (agent.connected) void agent.publishAsync(mqttTopics.health("agent-m"), JSON.stringify(health("agent-m"))).catch(() => {});
  }, 500);
  t.after(() => clearInterval(reports));

  // The plan gives it every partition, on the compacted topic and retained on MQTT.
  const watcher = await Recorder.start(mosquitto.url, { ...auth, clientId: "watcher" }, [
    mqttTopics.plan,
    "homeassistant/#",
    "facefleet/cameras/#",
  ]);
  clients.push(watcher.client);
  const retained = await watcher.waitFor((m) => m.topic === mqttTopics.plan, 15_000, "the retained plan");
  const mqttPlan = partitionPlanSchema.parse(JSON.parse(retained.payload));
  assert.deepEqual(partitionsOf(mqttPlan, "agent-m"), [0, 1, 2, 3]);
  const kafkaPlans: PartitionPlan[] = [];
  const reader = await readPlanTopic({ kafka: kafka.kafka, clientName: "test", onPlan: (p) => kafkaPlans.push(p) });
  await reader.caughtUp;
  await reader.stop();
  assert.equal(kafkaPlans.at(-1)?.version, mqttPlan.version);

  const agents = await api.agents();
  assert.equal(agents.length, 1);
  assert.equal(agents[0]?.online, true);
  assert.deepEqual(agents[0]?.partitions, [0, 1, 2, 3]);
  assert.equal(agents[0]?.health?.capacityFps, 25);

  // API refusals.
  assert.equal((await api.request("GET", "/api/plan", undefined, null)).status, 401);
  assert.equal((await api.request("GET", "/api/plan", undefined, "wrong-token-wrong-token")).status, 401);
  const noAgent = await api.request("POST", "/api/partitions/1/move", {});
  assert.equal(noAgent.status, 400);
  assert.match((noAgent.json as { message: string }).message, /^agent: /);
  const unknownPartition = await api.request("POST", "/api/partitions/99/move", { agent: "agent-m" });
  assert.equal(unknownPartition.status, 404);
  assert.match((unknownPartition.json as { message: string }).message, /partition 99/);
  assert.equal((await api.request("POST", "/api/partitions/1/move", { agent: "agent-zz" })).status, 404);
  assert.equal((await api.request("POST", "/api/agents/agent-zz/drain")).status, 404);
  const openapi = await api.request("GET", "/api/openapi.json", undefined, null);
  assert.equal(openapi.status, 200);
  assert.ok("/api/partitions/{partition}/move" in (openapi.json as { paths: object }).paths);

  // Drain of the only live agent is refused: its partitions would have no owner.
  const lonelyDrain = await api.request("POST", "/api/agents/agent-m/drain");
  assert.equal(lonelyDrain.status, 409, JSON.stringify(lonelyDrain.json));

  // A second agent joins; now the drain goes through: the command and its ack, a plan without agent-m.
  agent.on("message", (topic, payload) => {
    if (topic !== mqttTopics.command("agent-m")) return;
    const command = JSON.parse(payload.toString()) as { id: string; command: string };
    void agent.publishAsync(
      mqttTopics.commandAck("agent-m"),
      JSON.stringify({
        schemaVersion: COMMAND_SCHEMA_VERSION,
        id: command.id,
        agentId: "agent-m",
        ok: true,
        message: `${command.command} by test`,
        time: Date.now(),
      }),
      { qos: 1 },
    );
  });
  const second = await connectOnce(mosquitto.url, { ...auth, clientId: "agent-n" });
  clients.push(second);
  await second.publishAsync(mqttTopics.status("agent-n"), "online", { qos: 1, retain: true });
  const secondReports = setInterval(
    () => void second.publishAsync(mqttTopics.health("agent-n"), JSON.stringify(health("agent-n"))).catch(() => {}),
    500,
  );
  t.after(() => clearInterval(secondReports));
  await waitUntil("agent-n online", async () => (await api.agents()).some((a) => a.id === "agent-n" && a.online));
  const drain = await api.request("POST", "/api/agents/agent-m/drain");
  assert.equal(drain.status, 200, JSON.stringify(drain.json));
  const drained = drain.json as { plan: PartitionPlan; ack: { ok: boolean; message: string } };
  assert.deepEqual(drained.ack, { ok: true, message: "drain by test" });
  assert.deepEqual(drained.plan.drained, ["agent-m"]);
  assert.deepEqual(partitionsOf(drained.plan, "agent-n"), [0, 1, 2, 3]);
  const command = await agentInbox.waitFor((m) => m.topic === mqttTopics.command("agent-m"), 5000, "the drain command");
  assert.equal(JSON.parse(command.payload).command, "drain");
  assert.equal((await api.request("POST", "/api/partitions/0/move", { agent: "agent-m" })).status, 409, "a drained agent takes no move");
  const undrain = await api.request("POST", "/api/agents/agent-m/undrain");
  assert.equal(undrain.status, 200, JSON.stringify(undrain.json));
  assert.deepEqual((undrain.json as { ack: unknown }).ack, { ok: true, message: "undrain by test" });
  assert.deepEqual((undrain.json as { plan: PartitionPlan }).plan.drained, []);

  // Move and pin through the API; a conflict for an offline agent.
  const moved = await api.request("POST", "/api/partitions/0/move", { agent: "agent-m" });
  assert.equal(moved.status, 200, JSON.stringify(moved.json));
  assert.equal((moved.json as { plan: PartitionPlan }).plan.owners["0"], "agent-m");
  const pinned = await api.request("PUT", "/api/partitions/1/pin", { agent: "agent-n" });
  assert.equal(pinned.status, 200);
  assert.equal((pinned.json as { plan: PartitionPlan }).plan.pins["1"], "agent-n");
  assert.equal((pinned.json as { plan: PartitionPlan }).plan.owners["1"], "agent-n");
  const movePinned = await api.request("POST", "/api/partitions/1/move", { agent: "agent-m" });
  assert.equal(movePinned.status, 409);
  assert.equal((await api.request("DELETE", "/api/partitions/1/pin")).status, 200);

  // Home Assistant: an event of camera "front door" announces its sensor and sets its state.
  const producer = kafka.kafka.producer();
  await producer.connect();
  const event: RecognitionEvent = {
    schemaVersion: EVENT_SCHEMA_VERSION,
    type: "person_seen",
    camera: "front door",
    trackId: "t1",
    identity: "Alice",
    distance: 0.03,
    firstSeq: 1,
    lastSeq: 3,
    time: Date.now(),
    agent: "agent-m",
  };
  await waitUntil("the event reaches Home Assistant", async () => {
    await producer.send({ topic: topics.events, messages: [{ key: event.camera, value: JSON.stringify(event) }] });
    await new Promise((r) => setTimeout(r, 500));
    return watcher.messages.some((m) => m.topic === "facefleet/cameras/front_door/last_person");
  });
  await producer.disconnect();
  const discovery = await watcher.waitFor((m) => m.topic === "homeassistant/sensor/facefleet_front_door/last_person/config", 5000);
  assert.equal(JSON.parse(discovery.payload).state_topic, "facefleet/cameras/front_door/last_person");
  const state = watcher.messages.find((m) => m.topic === "facefleet/cameras/front_door/last_person");
  assert.equal(JSON.parse(state?.payload ?? "{}").identity, "Alice");

  // The last will: agent-m's connection dies; the coordinator sees it offline and plans without it.
  clearInterval(reports);
  (agent as unknown as { stream: { destroy(): void } }).stream.destroy();
  agent.end(true);
  await waitUntil("agent-m offline and out of the plan", async () => {
    const view = (await api.agents()).find((a) => a.id === "agent-m");
    const plan = (await api.plan()).plan;
    return view?.online === false && plan !== null && partitionsOf(plan, "agent-m").length === 0;
  });
  const movedToOffline = await api.request("POST", "/api/partitions/2/move", { agent: "agent-m" });
  assert.equal(movedToOffline.status, 409);
});

async function waitUntil(what: string, predicate: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
