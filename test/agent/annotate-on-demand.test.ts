/**
 * Annotate on demand with real parts: a Kafka broker from the jars, `startCoordinator` with its embedded MQTT
 * broker, an in-process agent (real models) following the coordinator's `facefleet/live-view`, frames of the
 * Hamilton sample clip on two cameras, and a WebSocket viewer on the coordinator's /api/stream.
 * - nobody watches: detections (with boxes and names) for every frame, no annotated record;
 * - a viewer watches cam-a: its annotated records start within one processed frame after the agent sees the
 *   demand, at most annotateMaxFps per second of capture time, and cam-b stays unannotated;
 * - the viewer goes: they stop; a demand that is never refreshed (a coordinator gone) stops with its lease.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import kafkajs, { type KafkaMessage } from "kafkajs";
import mqtt from "mqtt";
import WebSocket from "ws";
import { type RunningAgent, startAgent } from "../../agent/agent.js";
import { parseAgentConfig } from "../../agent/config.js";
import { parseCoordinatorConfig } from "../../coordinator/config.js";
import { type RunningCoordinator, startCoordinator } from "../../coordinator/coordinator.js";
import { createKafka } from "../../kafka/client.js";
import type { Detection } from "../../protocol/detection.js";
import { LIVE_VIEW_SCHEMA_VERSION } from "../../protocol/live-view.js";
import { mqttTopics } from "../../protocol/mqtt-topics.js";
import { topics } from "../../protocol/topics.js";
import { clipFrames, loadClipLabels } from "../../testing/hamilton-clip.js";
import { Collector, createPlanTopic, createTopics, frameHeaders, startBroker, waitFor } from "../../testing/kafka-harness.js";
import { useTestModels } from "../../testing/paths.js";

const { logLevel, Partitioners } = kafkajs;

useTestModels();

const KAFKA_PORT = 20792;
const MQTT_PORT = 18921;
const TOKEN = "annotate-on-demand-token";
const MQTT_PASSWORD = "annotate-on-demand-mqtt";
/** Each camera sends a frame this often (capture time); the cap is below it so it shows. */
const FRAME_INTERVAL_MS = 250;
const MAX_FPS = 2;

type Line = { at: number; line: string };

const seqOf = (m: KafkaMessage) => Number(String(m.headers?.seq));
const cameraOf = (m: KafkaMessage) => String(m.headers?.camera);
const captureOf = (m: KafkaMessage) => Number(String(m.headers?.["capture-time"]));

test("annotation on demand: none unwatched; within one frame of a viewer; capped; stops with the viewer and the lease", {
  timeout: 300_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-annotate-"));
  const broker = await startBroker(KAFKA_PORT);
  let coordinator: RunningCoordinator | undefined;
  let agent: RunningAgent | undefined;
  const collectors: Collector[] = [];
  let producing = true;
  let flow: Promise<void> = Promise.resolve();
  const lines: Line[] = [];
  t.after(async () => {
    producing = false;
    await flow;
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
      kafka: { brokers: [broker.bootstrap], clientId: "coordinator-annotate" },
      // sharedCredential full: the test itself publishes a live-view demand as a coordinator would (below).
      mqtt: { embedded: { host: "127.0.0.1", port: MQTT_PORT, password: MQTT_PASSWORD, sharedCredential: "full" } },
      http: { host: "127.0.0.1", port: 0, token: TOKEN },
      stateDir: path.join(dir, "coordinator"),
      liveness: { startupGraceMs: 500 },
      liveView: { leaseMs: 6000 },
    }),
    { log: () => {}, kafka: createKafka({ brokers: [broker.bootstrap], clientId: "coordinator-annotate" }, logLevel.NOTHING) },
  );

  const config = parseAgentConfig({
    agentId: "annotate-test",
    kafka: { brokers: [broker.bootstrap] },
    recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
    worker: {
      groupId: "annotate-test-inference",
      annotateMaxFps: MAX_FPS,
      maxFrameAgeMs: 0,
      sessionTimeoutMs: 3000,
      heartbeatIntervalMs: 500,
      maxWaitMs: 100,
      statsLogIntervalMs: 0,
    },
    mqtt: { url: `mqtt://127.0.0.1:${MQTT_PORT}`, username: "facefleet", password: MQTT_PASSWORD, healthIntervalMs: 1000 },
  });
  assert.equal(config.worker.annotated, "on-demand", "the default");
  agent = await startAgent(config, {
    log: (line) => lines.push({ at: Date.now(), line }),
    kafka: createKafka(config.kafka, logLevel.NOTHING),
  });
  const lineAt = async (what: string, pattern: RegExp, after: number) => {
    await waitFor(what, () => lines.some((l) => l.at >= after && pattern.test(l.line)), 30_000);
    return (lines.find((l) => l.at >= after && pattern.test(l.line)) as Line).at;
  };
  await lineAt("the agent to join the group", /owns partitions/, 0);
  await lineAt("the coordinator's first live-view demand (nothing watched)", /live view: watched no camera/, 0);

  const detections = await Collector.start(broker.kafka, topics.detections);
  const annotated = await Collector.start(broker.kafka, topics.annotated);
  collectors.push(detections, annotated);

  // Two cameras, the clip's frames in turn, one frame each per FRAME_INTERVAL_MS with its capture time.
  const labels = loadClipLabels();
  const frames = clipFrames(labels);
  const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  let produced = 0;
  flow = (async () => {
    for (let seq = 0; producing; seq++) {
      const jpeg = frames[seq % frames.length] as Buffer;
      const now = Date.now();
      await producer.send({
        topic: topics.frames,
        acks: -1,
        messages: ["cam-a", "cam-b"].map((camera) => ({
          key: camera,
          value: jpeg,
          headers: frameHeaders(camera, seq, now, { width: labels.width, height: labels.height }),
        })),
      });
      produced = seq + 1;
      await sleep(FRAME_INTERVAL_MS - (Date.now() - now));
    }
    await producer.disconnect();
  })();
  const detected = () => detections.json<Detection>();
  const detectionsOf = (camera: string, after: number) =>
    detected()
      .filter((d) => d.camera === camera && d.doneTime >= after)
      .sort((a, b) => a.seq - b.seq);

  // --- Nobody watches: every frame has its detection, with boxes and names; nothing is annotated.
  await waitFor(
    "20 frames of each camera detected",
    () => detectionsOf("cam-a", 0).length >= 20 && detectionsOf("cam-b", 0).length >= 20,
    90_000,
  );
  const withFaces = detected().filter((d) => d.faces.length > 0);
  assert.ok(withFaces.length >= 10, `${withFaces.length} detections with faces`);
  for (const d of withFaces)
    for (const face of d.faces) {
      assert.equal(face.box.length, 4);
      assert.equal(typeof face.identity, "string");
    }
  assert.equal(annotated.messages.length, 0, "no annotated record while nobody watches");
  assert.equal(agent.stats.snapshot().annotatedOut, 0);

  // --- A viewer on the coordinator's stream watches cam-a.
  const viewerAt = Date.now();
  const ws = new WebSocket(`${coordinator.apiUrl.replace(/^http/, "ws")}/api/stream?token=${TOKEN}`);
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  ws.send(JSON.stringify({ type: "watch", cameras: ["cam-a"] }));
  const seenAt = await lineAt("the agent to see cam-a watched", /live view: watched cam-a \(lease 6000 ms\)/, viewerAt);
  await waitFor("8 annotated frames of cam-a", () => annotated.messages.length >= 8, 60_000);
  // Both come from one sendBatch, the collectors may read one before the other.
  const snapshot = annotated.messages.slice();
  await waitFor("the detections of the annotated frames", () => {
    const seqs = new Set(detectionsOf("cam-a", 0).map((d) => d.seq));
    return snapshot.every((m) => cameraOf(m) !== "cam-a" || seqs.has(seqOf(m)));
  });

  const after = detectionsOf("cam-a", seenAt);
  const annotatedSeqs = new Set(snapshot.filter((m) => cameraOf(m) === "cam-a").map(seqOf));
  const firstAnnotated = after.findIndex((d) => annotatedSeqs.has(d.seq));
  assert.ok(
    firstAnnotated >= 0 && firstAnnotated <= 1,
    `the first annotated frame is frame ${firstAnnotated} after the agent saw the demand`,
  );
  assert.ok(
    snapshot.every((m) => cameraOf(m) === "cam-a"),
    "only the watched camera is annotated",
  );
  // Every annotated frame was processed after the agent saw the demand.
  const doneOf = new Map(detectionsOf("cam-a", 0).map((d) => [d.seq, d.doneTime]));
  for (const seq of annotatedSeqs) assert.ok((doneOf.get(seq) ?? 0) >= seenAt, `cam-a seq ${seq} annotated before the demand`);
  // The rate cap: at most MAX_FPS per second of capture time (+2 at the window's edges), fewer than the frames.
  const captures = snapshot.map(captureOf).sort((a, b) => a - b);
  const spanMs = (captures.at(-1) as number) - (captures[0] as number);
  assert.ok(captures.length <= (spanMs * MAX_FPS) / 1000 + 2, `${captures.length} annotated frames in ${spanMs} ms of capture time`);
  const framesInSpan = detectionsOf("cam-a", 0).filter(
    (d) => d.captureTime >= (captures[0] as number) && d.captureTime <= (captures.at(-1) as number),
  );
  assert.ok(framesInSpan.length > captures.length, `${framesInSpan.length} frames, ${captures.length} annotated`);
  // The coordinator's live view serves it.
  const latestUrl = `${coordinator.apiUrl}/api/cameras/cam-a/latest.jpg`;
  let latest = await fetch(latestUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
  for (let i = 0; i < 50 && latest.status !== 200; i++) {
    await sleep(100);
    latest = await fetch(latestUrl, { headers: { authorization: `Bearer ${TOKEN}` } });
  }
  assert.equal(latest.status, 200);
  assert.equal(latest.headers.get("content-type"), "image/jpeg");

  // --- The viewer goes: annotation stops (at most a frame already being drawn).
  const closedAt = Date.now();
  ws.close();
  const unwatchedAt = await lineAt("the agent to see nothing watched", /live view: watched no camera/, closedAt);
  const producedThen = produced;
  await waitFor("8 more frames of cam-a detected", () => detectionsOf("cam-a", unwatchedAt).length >= 8, 60_000);
  assert.ok(produced > producedThen);
  await sleep(1000); // the annotated collector catches up with the detections'
  const annotatedNow = new Set(annotated.messages.filter((m) => cameraOf(m) === "cam-a").map(seqOf));
  const lateAnnotated = detectionsOf("cam-a", unwatchedAt).filter((d) => annotatedNow.has(d.seq));
  assert.ok(lateAnnotated.length <= 1, `${lateAnnotated.length} frames annotated after the viewer left`);

  // --- A demand that is never refreshed (the coordinator died after sending it) ends with its lease.
  const mqttClient = await mqtt.connectAsync(`mqtt://127.0.0.1:${MQTT_PORT}`, { username: "facefleet", password: MQTT_PASSWORD });
  t.after(() => mqttClient.endAsync().catch(() => undefined));
  const leaseMs = 4000;
  const publishedAt = Date.now();
  await mqttClient.publishAsync(
    mqttTopics.liveView,
    JSON.stringify({ schemaVersion: LIVE_VIEW_SCHEMA_VERSION, all: false, cameras: ["cam-b"], leaseMs, issuedAt: publishedAt }),
    { qos: 1, retain: true },
  );
  const leasedAt = await lineAt("the agent to see cam-b watched", /live view: watched cam-b \(lease 4000 ms\)/, publishedAt);
  const expiredAt = await lineAt("the lease to run out", /lease ran out without a refresh/, leasedAt);
  assert.ok(expiredAt - leasedAt >= leaseMs - 50, `the lease ran out after ${expiredAt - leasedAt} ms`);
  await waitFor("8 frames of cam-b detected after the lease", () => detectionsOf("cam-b", expiredAt).length >= 8, 60_000);
  await sleep(1000);
  const annotatedB = new Set(annotated.messages.filter((m) => cameraOf(m) === "cam-b").map(seqOf));
  // The frames of cam-b processed while the lease held were annotated (the first at once, then by the cap).
  const duringLease = detectionsOf("cam-b", leasedAt).filter((d) => d.doneTime < leasedAt + leaseMs);
  const lagMs = duringLease.map((d) => d.doneTime - d.captureTime);
  assert.ok(duringLease.length >= 2, `${duringLease.length} cam-b frames processed during the lease (lag ${lagMs.join(", ")} ms)`);
  assert.ok(
    annotatedB.has((duringLease[0] as Detection).seq),
    `the first cam-b frame of the lease is annotated (lag ${lagMs.join(", ")} ms)`,
  );
  const afterLease = detectionsOf("cam-b", leasedAt + leaseMs).filter((d) => annotatedB.has(d.seq));
  assert.ok(afterLease.length <= 1, `${afterLease.length} cam-b frames annotated after the lease`);
});
