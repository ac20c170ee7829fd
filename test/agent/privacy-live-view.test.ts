/**
 * Privacy of the live view with real parts: a Kafka broker from the jars, `startCoordinator` (embedded MQTT, people,
 * the live view), Lin-Manuel Miranda enrolled through the coordinator's API from his photo, an in-process agent (real
 * models) with `worker.privacy.pixelateUnknown: ["cam-private"]`, and frames of the Hamilton clip (Miranda, then the
 * audience) sent to both cam-private and cam-open with the same capture times.
 *
 * On facefleet.annotated, frame for frame: inside every face the detection calls Unknown, cam-private's picture is
 * flat cell by cell where cam-open's has its texture; named faces (Miranda) are the same on both. The coordinator's
 * live view (GET /api/cameras/cam-private/latest.jpg) serves cam-private's pixelated frames.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import kafkajs, { type KafkaMessage } from "kafkajs";
import { type RunningAgent, startAgent } from "../../agent/agent.js";
import { parseAgentConfig } from "../../agent/config.js";
import { parseCoordinatorConfig } from "../../coordinator/config.js";
import { type RunningCoordinator, startCoordinator } from "../../coordinator/coordinator.js";
import { createKafka } from "../../kafka/client.js";
import type { Detection } from "../../protocol/detection.js";
import { topics } from "../../protocol/topics.js";
import { UNKNOWN } from "../../recognition/match.js";
import { clipFrames, loadClipLabels } from "../../testing/hamilton-clip.js";
import { Collector, createPlanTopic, createTopics, frameHeaders, startBroker, waitFor } from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { cellDeviation, decode, difference, inside } from "../support/pixel-measures.js";

const { logLevel, Partitioners } = kafkajs;
useTestModels();

// Ports of this test only (26094 + the controller's 26095, MQTT 26194).
const KAFKA_PORT = 26094;
const MQTT_PORT = 26194;
const TOKEN = "privacy-live-view-token-01";
const MQTT_PASSWORD = "privacy-live-view-mqtt";

const headerOf = (m: KafkaMessage, name: string) => String(m.headers?.[name]);

test("live view: unknown faces pixelated on the agent's listed camera, through Kafka and the coordinator", {
  timeout: 600_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-privacy-live-"));
  const broker = await startBroker(KAFKA_PORT);
  let coordinator: RunningCoordinator | undefined;
  let agent: RunningAgent | undefined;
  const collectors: Collector[] = [];
  t.after(async () => {
    await agent?.stop().catch(() => undefined);
    await coordinator?.stop().catch(() => undefined);
    for (const c of collectors) await c.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, 2);
  await createPlanTopic(broker.kafka);
  coordinator = await startCoordinator(
    parseCoordinatorConfig({
      kafka: { brokers: [broker.bootstrap], clientId: "coordinator-privacy-live" },
      mqtt: { embedded: { host: "127.0.0.1", port: MQTT_PORT, password: MQTT_PASSWORD } },
      http: { host: "127.0.0.1", port: 0, token: TOKEN },
      stateDir: path.join(dir, "coordinator"),
      liveness: { startupGraceMs: 500 },
      recognition: { threads: 1 },
    }),
    { log: () => {}, kafka: createKafka({ brokers: [broker.bootstrap], clientId: "coordinator-privacy-live" }, logLevel.NOTHING) },
  );
  const call = async (method: string, route: string, body?: unknown) => {
    const response = await fetch(`${coordinator?.apiUrl}${route}`, {
      method,
      headers: { authorization: `Bearer ${TOKEN}`, ...(body !== undefined ? { "content-type": "application/json" } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()), time: response.headers.get("x-capture-time") };
  };
  assert.equal((await call("POST", "/api/people", { name: "lin-manuel-miranda" })).status, 200);
  const photo = { image: readFileSync(exampleImage("lin-manuel-miranda.png")).toString("base64") };
  const enrolled = await call("POST", "/api/people/lin-manuel-miranda/photos", photo);
  assert.equal(enrolled.status, 200, enrolled.bytes.toString());

  const config = parseAgentConfig({
    agentId: "privacy-live",
    kafka: { brokers: [broker.bootstrap] },
    recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
    worker: {
      groupId: "privacy-live-inference",
      annotated: "always",
      annotateMaxFps: 0,
      privacy: { pixelateUnknown: ["cam-private"] },
      maxFrameAgeMs: 0,
      sessionTimeoutMs: 3000,
      heartbeatIntervalMs: 500,
      maxWaitMs: 100,
      statsLogIntervalMs: 0,
    },
    mqtt: { url: `mqtt://127.0.0.1:${MQTT_PORT}`, username: "facefleet", password: MQTT_PASSWORD, healthIntervalMs: 1000 },
  });
  const lines: string[] = [];
  agent = await startAgent(config, { log: (line) => lines.push(line), kafka: createKafka(config.kafka, logLevel.NOTHING) });
  await waitFor("the agent to join the group", () => lines.some((l) => /owns partitions/.test(l)), 60_000);
  const detections = await Collector.start(broker.kafka, topics.detections);
  const annotated = await Collector.start(broker.kafka, topics.annotated);
  collectors.push(detections, annotated);

  // Miranda (frames 18-38, named once his track is) then the audience (39-49, unknown), on both cameras.
  const labels = loadClipLabels();
  const frames = clipFrames(labels).slice(18, 50);
  const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  t.after(() => producer.disconnect());
  const t0 = Date.now();
  for (const [seq, jpeg] of frames.entries()) {
    const time = t0 + Math.round((seq * 1000) / labels.fps);
    await producer.send({
      topic: topics.frames,
      acks: -1,
      messages: ["cam-private", "cam-open"].map((camera) => ({
        key: camera,
        value: jpeg,
        headers: frameHeaders(camera, seq + 1, time, { width: labels.width, height: labels.height }),
      })),
    });
    await sleep(50);
  }
  await waitFor("every frame annotated on both cameras", () => annotated.messages.length >= frames.length * 2, 300_000);

  // The coordinator's live view has cam-private's newest frame: one of its pixelated annotated frames.
  let live: Awaited<ReturnType<typeof call>> | undefined;
  for (let i = 0; i < 100 && live?.status !== 200; i++) {
    live = await call("GET", "/api/cameras/cam-private/latest.jpg");
    if (live.status !== 200) await sleep(200);
  }
  assert.equal(live?.status, 200);
  const privateFrames = annotated.messages.filter((m) => headerOf(m, "camera") === "cam-private");
  assert.ok(
    privateFrames.some((m) => (m.value as Buffer).equals(live?.bytes as Buffer)),
    "the live view serves the agent's pixelated frame",
  );

  const detectionOf = new Map(detections.json<Detection>().map((d) => [`${d.camera}/${d.seq}`, d]));
  const byKey = new Map(annotated.messages.map((m) => [`${headerOf(m, "camera")}/${headerOf(m, "seq")}`, m.value as Buffer]));
  let unknown = 0;
  let named = 0;
  for (let seq = 0; seq < frames.length; seq++) {
    const hidden = byKey.get(`cam-private/${seq + 1}`);
    const plain = byKey.get(`cam-open/${seq + 1}`);
    const detection = detectionOf.get(`cam-private/${seq + 1}`);
    const openDetection = detectionOf.get(`cam-open/${seq + 1}`);
    assert.ok(hidden && plain && detection && openDetection, `frame ${seq} on both cameras`);
    assert.deepEqual(
      detection.faces.map((f) => f.identity),
      openDetection.faces.map((f) => f.identity),
      `frame ${seq}: the same names on both cameras`,
    );
    const a = await decode(plain);
    const b = await decode(hidden);
    for (const face of detection.faces) {
      const region = inside(face, b);
      if (region.x1 - region.x0 < 12 || region.y1 - region.y0 < 12) continue;
      const where = `frame ${seq}, ${face.identity} at ${face.box.map(Math.round).join(",")}`;
      if (face.identity === UNKNOWN) {
        const others = detection.faces.filter((f) => f !== face);
        const flat = cellDeviation(b, face, others, config.worker.privacy.pixelBlocks);
        const textured = cellDeviation(a, face, others, config.worker.privacy.pixelBlocks);
        if (Number.isNaN(flat)) continue;
        unknown++;
        assert.ok(
          flat < textured && (flat < 2.5 || flat / textured < 0.25),
          `${where}: within a cell ${flat.toFixed(2)} vs ${textured.toFixed(2)}`,
        );
      } else {
        named++;
        assert.ok(difference(a, b, region) < 0.5, `${where}: unchanged (${difference(a, b, region).toFixed(2)})`);
      }
    }
  }
  assert.ok(unknown >= 20, `unknown faces measured: ${unknown}`);
  assert.ok(named >= 10, `named faces measured: ${named}`);
  console.log(`privacy live view: ${unknown} unknown faces pixelated on cam-private, ${named} named faces unchanged`);
});
