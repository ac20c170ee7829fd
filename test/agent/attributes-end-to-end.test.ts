/**
 * Attributes end to end with real parts: a Kafka broker from the jars, the coordinator's embedded MQTT broker, an
 * in-process agent (real detector, recognizer and attribute models) with `worker.attributes.estimate: ["emotion",
 * "age", "gender"]` and `cameras: {yard: []}`, the two sample people on facefleet.gallery, and the Hamilton clip's
 * frames on two cameras:
 * - facefleet.detections: every face of a track on `door` carries the same attributes, estimated about once per
 *   track (far fewer estimates than faces), with `timingsMs.attributes`; `yard`'s faces carry none, nor its timings;
 * - facefleet.events: `door`'s person_seen and unknown_person carry the track's attributes (Lin: male), `yard`'s none;
 * - health on MQTT (`facefleet/agents/<id>/health`): `attributes` with the agent's estimates and ms per frame,
 *   `latencyMs.attributes`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import kafkajs from "kafkajs";
import mqtt from "mqtt";
import { type RunningAgent, startAgent } from "../../agent/agent.js";
import { parseAgentConfig } from "../../agent/config.js";
import { type EmbeddedBroker, startEmbeddedBroker } from "../../coordinator/mqtt/embedded-broker.js";
import { publishIdentities } from "../../gallery/publish-identities.js";
import { createKafka } from "../../kafka/client.js";
import { kafkaConnectionSchema } from "../../kafka/connection-config.js";
import { type Detection, detectionSchema } from "../../protocol/detection.js";
import { type RecognitionEvent, recognitionEventSchema } from "../../protocol/event.js";
import { type AgentHealth, agentHealthSchema } from "../../protocol/health.js";
import { mqttTopics } from "../../protocol/mqtt-topics.js";
import { topics } from "../../protocol/topics.js";
import { embedEnrollmentSources } from "../../recognition/enrollment.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { clipFrames, ENROLLED, loadClipLabels } from "../../testing/hamilton-clip.js";
import { Collector, createTopics, frameHeaders, startBroker, waitFor } from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";

const { logLevel, Partitioners } = kafkajs;

useTestModels();

const KAFKA_PORT = 29100;
const MQTT_PORT = 29110;
const AGENT = "attributes-e2e";
const ON = "door";
const OFF = "yard";
/** The yard camera gets the clip's first frames only: enough faces to show it has no attributes. */
const OFF_FRAMES = 15;

test("attributes through Kafka and MQTT: once per track on detections and events, none on a camera without, in health", {
  timeout: 240_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-attributes-e2e-"));
  const broker = await startBroker(KAFKA_PORT);
  let mqttBroker: EmbeddedBroker | undefined;
  let agent: RunningAgent | undefined;
  let observer: mqtt.MqttClient | undefined;
  const collectors: Collector[] = [];
  const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  t.after(async () => {
    await agent?.stop().catch(() => undefined);
    await observer?.endAsync().catch(() => undefined);
    await mqttBroker?.close().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    for (const c of collectors) await c.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, 2);

  // The two sample people on facefleet.gallery, as `facefleet enroll --publish` would put them.
  const pipeline = await RecognitionPipeline.load({ threads: 1 });
  const { identities } = await embedEnrollmentSources(
    pipeline,
    ENROLLED.map((identity) => ({ identity, path: exampleImage(`${identity}.png`) })),
  );
  await publishIdentities(kafkaConnectionSchema.parse({ brokers: [broker.bootstrap] }), identities, pipeline.recognizer);

  mqttBroker = await startEmbeddedBroker({ host: "127.0.0.1", port: MQTT_PORT, stateDir: path.join(dir, "mqtt"), log: () => {} });
  observer = await mqtt.connectAsync(mqttBroker.url, mqttBroker.coordinator);
  const healths: AgentHealth[] = [];
  observer.on("message", (_topic, payload) => healths.push(agentHealthSchema.parse(JSON.parse(payload.toString()))));
  await observer.subscribeAsync(mqttTopics.health(AGENT), { qos: 1 });

  const config = parseAgentConfig({
    agentId: AGENT,
    kafka: { brokers: [broker.bootstrap] },
    recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
    worker: {
      groupId: "attributes-e2e-inference",
      annotated: "never",
      maxFrameAgeMs: 0,
      sessionTimeoutMs: 3000,
      heartbeatIntervalMs: 500,
      maxWaitMs: 100,
      statsLogIntervalMs: 0,
      track: { visitGapMs: 2000 },
      attributes: { estimate: ["emotion", "age", "gender"], cameras: { [OFF]: [] } },
    },
    mqtt: { url: mqttBroker.url, username: mqttBroker.username, password: mqttBroker.password, healthIntervalMs: 1000 },
  });
  const lines: string[] = [];
  agent = await startAgent(config, { log: (line) => lines.push(line), kafka: createKafka(config.kafka, logLevel.NOTHING) });
  await waitFor("the agent to join the group", () => lines.some((l) => /owns partitions/.test(l)), 60_000);

  const detections = await Collector.start(broker.kafka, topics.detections);
  const events = await Collector.start(broker.kafka, topics.events);
  collectors.push(detections, events);

  // The clip once on `door`, its first frames on `yard`, 200 ms of capture time apart (the clip's 5 fps).
  const labels = loadClipLabels();
  const frames = clipFrames(labels);
  await producer.connect();
  const start = Date.now() - frames.length * 200;
  const size = { width: labels.width, height: labels.height };
  const messages = frames.flatMap((jpeg, seq) => [
    { key: ON, value: jpeg, headers: frameHeaders(ON, seq, start + seq * 200, size) },
    ...(seq < OFF_FRAMES ? [{ key: OFF, value: jpeg, headers: frameHeaders(OFF, seq, start + seq * 200, size) }] : []),
  ]);
  await producer.send({ topic: topics.frames, acks: -1, messages });

  const parsed = () => detections.json<Detection>().map((d) => detectionSchema.parse(d));
  await waitFor("every frame's detection", () => parsed().length >= frames.length + OFF_FRAMES, 150_000);
  const all = parsed();
  const of = (camera: string) => all.filter((d) => d.camera === camera);
  const on = of(ON);
  const off = of(OFF);
  assert.equal(new Set(on.map((d) => d.seq)).size, frames.length);
  assert.equal(new Set(off.map((d) => d.seq)).size, OFF_FRAMES);

  // --- door: every face of a track shows its track's attributes; estimated about once per track.
  const onFaces = on.flatMap((d) => d.faces);
  const withAttributes = onFaces.filter((f) => f.attributes !== undefined);
  assert.ok(withAttributes.length >= 20, `${withAttributes.length} of ${onFaces.length} door faces with attributes`);
  const byTrack = new Map<string, string>();
  for (const face of withAttributes) {
    assert.deepEqual(Object.keys(face.attributes ?? {}).sort(), ["age", "emotion", "gender"]);
    assert.ok(face.trackId, "a face with attributes has a track");
    const shown = JSON.stringify(face.attributes);
    assert.equal(shown, byTrack.get(face.trackId) ?? shown, `track ${face.trackId} shows one set of attributes`);
    byTrack.set(face.trackId, shown);
  }
  const estimates = agent.stats.attributesRun;
  assert.ok(estimates >= byTrack.size, `${estimates} estimates for ${byTrack.size} tracks with attributes`);
  assert.ok(estimates <= byTrack.size * 1.5 + 1, `${estimates} estimates for ${byTrack.size} tracks: about once per track`);
  assert.ok(estimates * 3 <= withAttributes.length, `${estimates} estimates shown on ${withAttributes.length} faces`);
  assert.ok(
    on.every((d) => d.timingsMs.attributes !== undefined),
    "door's detections time the attribute stage",
  );

  // --- yard: no attributes anywhere, no attribute stage.
  const offFaces = off.flatMap((d) => d.faces);
  assert.ok(offFaces.length >= 10, `${offFaces.length} yard faces`);
  assert.ok(
    offFaces.every((f) => f.attributes === undefined),
    "no yard face has attributes",
  );
  assert.ok(
    off.every((d) => d.timingsMs.attributes === undefined),
    "no attribute stage on yard",
  );

  // --- events: door's announcements carry the track's attributes, yard's none.
  const parsedEvents = () => events.json<RecognitionEvent>().map((e) => recognitionEventSchema.parse(e));
  const announced = (camera: string) =>
    parsedEvents().filter((e) => e.camera === camera && (e.type === "person_seen" || e.type === "unknown_person"));
  await waitFor("announcements on both cameras", () => announced(ON).length >= 2 && announced(OFF).length >= 1, 30_000);
  for (const event of announced(ON)) {
    assert.ok(event.attributes, `${event.type} ${event.identity} on door has attributes`);
    assert.equal(typeof event.attributes.emotion?.value, "string");
    assert.equal(typeof event.attributes.age?.value, "number");
    assert.match(String(event.attributes.gender?.value), /^(male|female)$/);
    const shown = byTrack.get(event.trackId);
    if (shown) assert.equal(JSON.stringify(event.attributes), shown, `the event of track ${event.trackId} carries its attributes`);
  }
  const lin = announced(ON).find((e) => e.type === "person_seen" && e.identity === "lin-manuel-miranda");
  assert.equal(lin?.attributes?.gender?.value, "male", JSON.stringify(lin));
  assert.ok(
    parsedEvents()
      .filter((e) => e.camera === OFF)
      .every((e) => e.attributes === undefined),
    "no yard event has attributes",
  );

  // --- health on MQTT: the estimates and their time.
  await waitFor("a health report with every estimate", () => healths.some((h) => h.attributes?.estimates === estimates), 15_000);
  const health = healths.find((h) => h.attributes?.estimates === estimates) as AgentHealth;
  assert.ok(health.latencyMs.attributes, "latencyMs.attributes");
  assert.deepEqual(health.latencyMs.attributes, health.attributes?.msPerFrame);
  assert.ok((health.attributes?.msPerEstimate ?? 0) > 0, JSON.stringify(health.attributes));
  assert.ok(
    health.models.some((m) => m.role === "attribute"),
    "the attribute models are listed",
  );
  t.diagnostic(
    `door: ${on.length} frames, ${onFaces.length} faces, ${withAttributes.length} with attributes, ${byTrack.size} tracks, ${estimates} estimates; ` +
      `health attributes ${JSON.stringify(health.attributes)}`,
  );
});
