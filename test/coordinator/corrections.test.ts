/**
 * Corrections from events and unknown-person alerts (coordinator/corrections, coordinator/api/routes-events.ts)
 * with a real Kafka broker and the real models:
 *
 * - the agent's FrameProcessor names Lin-Manuel Miranda "obama" (a lenient threshold, 0.13: the kind of
 *   false match an operator corrects) and its person_seen event carries the crop, embedding and model;
 * - "not obama" puts that face in Obama's reject set on facefleet.gallery; an agent's gallery (a GalleryReader
 *   and its MatchingGallery) reading the topic now answers Unknown for Lin's face, and still "obama" for Obama's other photos
 *   (obama-720p.jpg among them, which lies within the threshold of Lin's reject);
 * - "it is lin" creates Lin with that face; the agent's gallery names Lin;
 * - unknown-person alerts: only for cameras toggled on; the crop is kept and served; purged after the
 *   retention (a clock passed in); the toggle survives a restart;
 * - the HTTP routes (with startApiServer and the fake CoordinatorControl): 200s, 400 naming the field, 404, 409, 401.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import sharp from "sharp";
import { trackSettingsSchema } from "../../agent/config.js";
import { FrameProcessor, type GalleryView } from "../../agent/worker/frame-processor.js";
import { Trackers } from "../../agent/worker/tracker.js";
import { eventRoutes } from "../../coordinator/api/routes-events.js";
import { type ApiServer, startApiServer } from "../../coordinator/api/server.js";
import { type Corrections, startCorrections } from "../../coordinator/corrections/corrections.js";
import { UnknownAlerts } from "../../coordinator/corrections/unknown-alerts.js";
import { GalleryReader } from "../../gallery/gallery-reader.js";
import { MatchingGallery } from "../../gallery/matching-gallery.js";
import { type OpenGallery, openGallery } from "../../gallery/open-gallery.js";
import { publishIdentities } from "../../gallery/publish-identities.js";
import { type KafkaConnection, kafkaConnectionSchema } from "../../kafka/connection-config.js";
import type { UnknownAlert } from "../../protocol/api.js";
import { correctionResultSchema, eventId, eventListSchema, unknownAlertsViewSchema } from "../../protocol/api-events.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { topics } from "../../protocol/topics.js";
import { emptyGallery, upsertIdentities } from "../../recognition/gallery.js";
import { GalleryMatcher, UNKNOWN } from "../../recognition/match.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { Collector, createTopics, startBroker, type TestBroker, waitFor } from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { FakeControl } from "./fake-control.js";

const THRESHOLD = 0.13;
const TOKEN = "corrections-test-token";

let broker: TestBroker;
let connection: KafkaConnection;
let pipeline: RecognitionPipeline;
let corrections: Corrections;
let coordinatorGallery: OpenGallery;
let agentReader: GalleryReader;
let agentGallery: MatchingGallery;
let api: ApiServer;
let stateDir: string;
let clock = Date.now();
const alerts: UnknownAlert[] = [];
const faceOf: Record<string, Float32Array> = {};
let seen: RecognitionEvent; // person_seen "obama" for Lin's face
let stranger: RecognitionEvent; // unknown_person on camera "door"

/** A picture as a camera sends it: JPEG (a PNG sample is converted), with its size for the frame's headers. */
async function asCameraFrame(file: string): Promise<{ data: Buffer; info: { width: number; height: number } }> {
  const bytes = readFileSync(exampleImage(file));
  if (file.endsWith(".jpg")) {
    const { width = 0, height = 0 } = await sharp(bytes).metadata();
    return { data: bytes, info: { width, height } };
  }
  return sharp(bytes).jpeg({ quality: 90 }).toBuffer({ resolveWithObject: true });
}

/** The embedding of a picture's one face, from the same bytes a frame of it carries (asCameraFrame). */
async function embeddingOf(file: string): Promise<Float32Array> {
  const analysis = await pipeline.analyse((await asCameraFrame(file)).data);
  const embedding = analysis.faces[0]?.embedding;
  assert.ok(embedding && analysis.faces.length === 1, `${file}: one face`);
  return embedding;
}

/** Two frames of a picture through the agent's FrameProcessor: the events the second announces. */
async function eventsFor(processor: FrameProcessor, camera: string, file: string, firstSeq: number): Promise<RecognitionEvent[]> {
  // A frame as a camera sends it: JPEG, its size in the headers (the agent checks both before decoding).
  const { data: bytes, info } = await sharp(readFileSync(exampleImage(file)))
    .jpeg({ quality: 90 })
    .toBuffer({ resolveWithObject: true });
  const out: RecognitionEvent[] = [];
  for (const seq of [firstSeq, firstSeq + 1]) {
    const headers = {
      "schema-version": 1 as const,
      camera,
      seq,
      "capture-time": Date.now(),
      width: info.width,
      height: info.height,
      format: "jpeg" as const,
      producer: "test",
    };
    const processed = await processor.process({ topic: topics.frames, partition: 0, offset: String(seq), headers, bytes });
    out.push(...processed.events);
  }
  return out;
}

async function call(path: string, o: { method?: string; body?: unknown; token?: string | null } = {}) {
  const headers: Record<string, string> = {};
  if (o.token !== null) headers.authorization = `Bearer ${o.token ?? TOKEN}`;
  if (o.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${api.url}${path}`, {
    method: o.method ?? "GET",
    headers,
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const bytes = Buffer.from(await response.arrayBuffer());
  const type = response.headers.get("content-type") ?? "";
  return { status: response.status, type, bytes, json: type.startsWith("application/json") ? JSON.parse(bytes.toString()) : undefined };
}

before(async () => {
  useTestModels();
  // The dlib descriptor, whatever the default: this test needs its false match of Lin on Obama at the lenient
  // threshold (the rule under test does not depend on the recognizer; SFace does not confuse these faces).
  pipeline = await RecognitionPipeline.load({ threads: 1, recognizer: "face-api-resnet-v1" });
  for (const file of ["obama.jpg", "obama2.jpg", "obama-720p.jpg", "lin-manuel-miranda.png"]) faceOf[file] = await embeddingOf(file);

  broker = await startBroker(20592);
  await createTopics(broker.kafka);
  connection = kafkaConnectionSchema.parse({ brokers: [broker.bootstrap] });
  const obama = { name: "obama", embeddings: [{ vector: faceOf["obama.jpg"] as Float32Array, source: "obama.jpg" }] };
  await publishIdentities(connection, [obama], pipeline.recognizer);

  // The agent's side: the gallery as a worker holds it, and the events its FrameProcessor builds.
  const view: GalleryView = {
    matcher: new GalleryMatcher(upsertIdentities(emptyGallery(pipeline.recognizer), [obama]), THRESHOLD),
    version: 1,
  };
  const trackers = new Trackers(trackSettingsSchema.parse({ iouThreshold: 0.3, lostAfterMs: 60_000, minFramesToName: 2 }), "agent-test");
  const processor = new FrameProcessor(pipeline, view, trackers, "agent-test", false);
  const linEvents = await eventsFor(processor, "hall", "lin-manuel-miranda.png", 1);
  seen = linEvents.find((e) => e.type === "person_seen") as RecognitionEvent;
  const bidenEvents = await eventsFor(processor, "door", "biden.jpg", 1);
  stranger = bidenEvents.find((e) => e.type === "unknown_person") as RecognitionEvent;

  stateDir = await mkdtemp(join(tmpdir(), "facefleet-corrections-"));
  coordinatorGallery = await openGallery({ kafka: broker.kafka, clientName: "coordinator-gallery" });
  corrections = await startCorrections({
    writer: coordinatorGallery.writer,
    stateDir,
    retentionHours: 1,
    purgeIntervalMs: 3_600_000,
    now: () => clock,
    onAlert: (alert) => alerts.push(alert),
  });
  // An agent's gallery: its own reader of the topic, matched with this recognizer.
  agentReader = new GalleryReader({ kafka: broker.kafka, topic: topics.gallery, clientName: "gallery-agent-check" });
  agentGallery = new MatchingGallery({ reader: agentReader, recognizer: pipeline.recognizer, threshold: THRESHOLD });
  await agentReader.start(60_000);
  api = await startApiServer({
    control: new FakeControl([{ id: "a", online: true }]),
    host: "127.0.0.1",
    port: 0,
    token: TOKEN,
    routes: eventRoutes(corrections.control),
  });
});

after(async () => {
  await api?.close();
  await agentReader?.stop();
  await corrections?.stop();
  await coordinatorGallery?.stop();
  await broker?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

test("the agent's announcement carries the representative face: crop, embedding, model", () => {
  assert.ok(seen, "a person_seen event for Lin's face");
  assert.equal(seen.identity, "obama", "the lenient threshold names Lin as Obama");
  const crop = Buffer.from(seen.crop ?? "", "base64");
  assert.deepEqual([...crop.subarray(0, 3)], [0xff, 0xd8, 0xff], "a JPEG");
  assert.ok(crop.length > 500 && crop.length < 12_000, `a small crop (${crop.length} bytes)`);
  assert.equal(seen.model, pipeline.recognizer.modelId);
  assert.equal(seen.embedding?.length, pipeline.recognizer.embeddingSize);
  assert.ok(
    seen.embedding?.every((v) => Math.round(v * 1e5) / 1e5 === v),
    "rounded to 1e-5",
  );
  const lin = faceOf["lin-manuel-miranda.png"] as Float32Array;
  assert.ok(
    seen.embedding?.every((v, i) => Math.abs(v - (lin[i] as number)) < 1e-4),
    "the face's own embedding",
  );
  assert.ok(stranger?.crop && stranger.embedding, "unknown_person carries them too");
});

test("'not obama': Obama's record gets the reject; an agent's gallery answers Unknown for that face, Obama for his photos", async () => {
  corrections.observe(seen);
  const id = eventId(seen);
  const result = await corrections.control.correct(id, { notIdentity: "obama" });
  assert.deepEqual(result.published, [{ name: "obama", embeddings: 1, rejects: 1 }]);
  assert.deepEqual(result.event.correction, { notIdentity: "obama", time: clock });

  // The record on the topic, as any consumer sees it.
  const collector = await Collector.start(broker.kafka, topics.gallery);
  try {
    await waitFor("obama's record with a reject", () => collector.json<{ rejects?: unknown[] }>().some((r) => r.rejects?.length === 1));
    const record = collector.json<{ name: string; rejects: { source: string }[] }>().find((r) => r.rejects);
    assert.equal(record?.name, "obama");
    assert.equal(record?.rejects[0]?.source, `event:${id}`);
  } finally {
    await collector.stop();
  }

  await waitFor("the agent's reader to read the reject", () => (agentReader.get("obama")?.rejects?.length ?? 0) === 1);
  const matcher = agentGallery.matcher;
  assert.equal(matcher.match(faceOf["lin-manuel-miranda.png"] as Float32Array).identity, UNKNOWN);
  for (const photo of ["obama.jpg", "obama2.jpg", "obama-720p.jpg"])
    assert.equal(matcher.match(faceOf[photo] as Float32Array).identity, "obama", photo);
});

test("'it is lin': Lin is created with the face; the reject of Obama is kept once; the agent's gallery names Lin", async () => {
  const id = eventId(seen);
  const result = await corrections.control.correct(id, { identity: "lin" });
  assert.deepEqual(
    [...result.published].sort((a, b) => a.name.localeCompare(b.name)),
    [
      { name: "lin", embeddings: 1, rejects: 0 },
      { name: "obama", embeddings: 1, rejects: 1 },
    ],
  );
  await waitFor("the agent's reader to read lin", () => agentReader.get("lin") !== undefined);
  assert.equal(agentReader.get("lin")?.embeddings[0]?.source, `event:${id}`);
  const lin = agentGallery.matcher.match(faceOf["lin-manuel-miranda.png"] as Float32Array);
  assert.equal(lin.identity, "lin");
  assert.ok("distance" in lin && lin.distance < 1e-3);
  assert.equal(agentGallery.matcher.match(faceOf["obama2.jpg"] as Float32Array).identity, "obama");

  // Again: nothing is added twice (the face is recorded once per identity, by its event).
  const again = await corrections.control.correct(id, { identity: "lin" });
  assert.deepEqual(
    again.published.find((p) => p.name === "lin"),
    { name: "lin", embeddings: 1, rejects: 0 },
    "idempotent",
  );
});

test("corrections refuse unknown events, events without a face, and unknown identities", async () => {
  await assert.rejects(corrections.control.correct("0123456789abcdef", { identity: "lin" }), { name: "ControlError", kind: "not-found" });
  const old: RecognitionEvent = { ...seen, trackId: "old-agent-1", crop: undefined, embedding: undefined, model: undefined };
  delete old.crop;
  delete old.embedding;
  delete old.model;
  corrections.observe(old);
  await assert.rejects(corrections.control.correct(eventId(old), { identity: "lin" }), { kind: "conflict" });
  await assert.rejects(corrections.control.correct(eventId(seen), { notIdentity: "nobody" }), /no identity "nobody"/);
});

test("unknown-person alerts: only for cameras toggled on; crop kept and served; purged after the retention", async () => {
  corrections.observe({ ...stranger, camera: "yard" });
  await corrections.control.setUnknownAlerts("door", true);
  corrections.observe(stranger);
  await waitFor("an alert", () => alerts.length > 0, 5000);
  assert.equal(alerts.length, 1, "none for yard (off)");
  const alert = alerts[0] as UnknownAlert;
  assert.equal(alert.id, eventId(stranger));
  assert.equal(alert.camera, "door");
  assert.equal(alert.cropUrl, `/api/alerts/unknown/${alert.id}/crop.jpg`);
  const file = join(stateDir, "unknown", `${alert.id}.jpg`);
  await waitFor("the crop file", () => existsSync(file) && existsSync(join(stateDir, "unknown", `${alert.id}.json`)), 5000);
  assert.deepEqual(readFileSync(file), Buffer.from(stranger.crop ?? "", "base64"));
  assert.deepEqual(JSON.parse(readFileSync(join(stateDir, "unknown-alerts.json"), "utf8")).cameras, { door: true });

  const listed = await call("/api/alerts/unknown");
  assert.equal(listed.status, 200);
  const view = unknownAlertsViewSchema.parse(listed.json);
  assert.deepEqual(view.alerts, [alert]);
  assert.deepEqual(view.cameras, [
    { camera: "door", enabled: true },
    { camera: "hall", enabled: false },
    { camera: "yard", enabled: false },
  ]);
  const crop = await call(alert.cropUrl as string);
  assert.equal(crop.status, 200);
  assert.equal(crop.type, "image/jpeg");
  assert.deepEqual(crop.bytes, readFileSync(file));

  // Not yet past the retention; then past it.
  clock += 30 * 60_000;
  assert.equal(await corrections.alerts.purge(), 0);
  assert.ok(existsSync(file));
  clock += 31 * 60_000;
  assert.equal(await corrections.alerts.purge(), 1);
  assert.equal(existsSync(file), false);
  assert.equal(existsSync(join(stateDir, "unknown", `${alert.id}.json`)), false);
  assert.equal((await call(alert.cropUrl as string)).status, 404);
  assert.deepEqual(unknownAlertsViewSchema.parse((await call("/api/alerts/unknown")).json).alerts, []);

  // The toggles survive a restart; a turned-off camera raises nothing.
  const reopened = await UnknownAlerts.open({ stateDir, now: () => clock });
  try {
    assert.equal(reopened.isEnabled("door"), true);
    await reopened.setEnabled("door", false);
    assert.equal(await reopened.observe({ ...stranger, trackId: "another" }), undefined);
  } finally {
    reopened.stop();
  }
});

test("event routes: list without embeddings, crops, corrections; 400 naming the field, 404, 409, 401", async () => {
  const id = eventId(seen);
  const list = await call("/api/events?camera=hall");
  assert.equal(list.status, 200);
  const events = eventListSchema.parse(list.json).events;
  assert.ok(events.length >= 2);
  const shown = events.find((e) => e.id === id);
  assert.equal(shown?.cropUrl, `/api/events/${id}/crop.jpg`);
  assert.equal(shown?.correctable, true);
  assert.equal(shown?.correction?.identity, "lin");
  assert.ok(!list.bytes.toString().includes('"embedding"') && !list.bytes.toString().includes('"crop"'), "no embeddings or crop bytes");
  assert.equal(eventListSchema.parse((await call("/api/events?person=obama&camera=door")).json).events.length, 0);
  assert.ok(eventListSchema.parse((await call("/api/events?camera=door")).json).events.every((e) => e.camera === "door"));
  const newest = eventListSchema.parse((await call("/api/events?camera=hall&limit=1")).json).events;
  assert.deepEqual(
    newest.map((e) => e.id),
    [events[0]?.id],
    "limit keeps the newest",
  );
  const documented = (await call("/api/openapi.json")).json as {
    paths: Record<string, { get?: { parameters?: { name: string; in: string }[]; responses: Record<string, unknown> } }>;
  };
  const listEvents = documented.paths["/api/events"]?.get;
  assert.deepEqual(
    listEvents?.parameters?.map((p) => `${p.in}:${p.name}`),
    ["query:camera", "query:person", "query:limit"],
  );
  assert.ok(listEvents?.responses["400"], "a bad query is documented as 400");

  const crop = await call(`/api/events/${id}/crop.jpg`);
  assert.equal(crop.status, 200);
  assert.equal(crop.type, "image/jpeg");
  assert.deepEqual(crop.bytes, Buffer.from(seen.crop ?? "", "base64"));

  const corrected = await call(`/api/events/${id}/correction`, { method: "POST", body: { identity: "lin" } });
  assert.equal(corrected.status, 200);
  assert.equal(correctionResultSchema.parse(corrected.json).event.id, id);

  const refusals: [string, string, unknown, number, RegExp][] = [
    ["POST", `/api/events/${id}/correction`, {}, 400, /^identity: give identity/],
    ["POST", `/api/events/${id}/correction`, { identity: "lin", notIdentity: "lin" }, 400, /^notIdentity: must differ/],
    ["POST", `/api/events/${id}/correction`, { identity: "Unknown" }, 400, /^identity: must be a person's name/],
    ["POST", `/api/events/${id}/correction`, { identity: "x", extra: 1 }, 400, /^\(root\)|extra/],
    ["POST", "/api/events/nope/correction", { identity: "lin" }, 400, /^id: must be an event id/],
    ["POST", "/api/events/0123456789abcdef/correction", { identity: "lin" }, 404, /no event 0123456789abcdef/],
    ["POST", `/api/events/${eventId({ ...seen, trackId: "old-agent-1" })}/correction`, { identity: "lin" }, 409, /no face embedding/],
    ["GET", "/api/events/0123456789abcdef/crop.jpg", undefined, 404, /no event/],
    ["GET", "/api/events?limit=0", undefined, 400, /^limit: /],
    ["GET", "/api/events?limit=many", undefined, 400, /^limit: /],
    ["PUT", "/api/alerts/unknown/door", { enabled: "yes" }, 400, /^enabled: /],
    ["GET", "/api/alerts/unknown/0123456789abcdef/crop.jpg", undefined, 404, /no crop/],
  ];
  for (const [method, path, body, status, message] of refusals) {
    const answer = await call(path, { method, ...(body !== undefined ? { body } : {}) });
    assert.equal(answer.status, status, `${method} ${path} ${JSON.stringify(body)}: ${answer.bytes}`);
    assert.match(answer.json.message, message, `${method} ${path}`);
  }

  const put = await call("/api/alerts/unknown/door", { method: "PUT", body: { enabled: false } });
  assert.deepEqual(put.json, { camera: "door", enabled: false });
  for (const [method, path] of [
    ["GET", "/api/events"],
    ["GET", `/api/events/${id}/crop.jpg`],
    ["POST", `/api/events/${id}/correction`],
    ["GET", "/api/alerts/unknown"],
    ["PUT", "/api/alerts/unknown/door"],
  ] as const) {
    const body = method === "GET" ? {} : { body: { enabled: true } };
    assert.equal((await call(path, { method, token: null, ...body })).status, 401, `${method} ${path}`);
  }
});
