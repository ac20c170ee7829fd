/**
 * The coordinator's live view and enrollment backends against a real broker and the real models:
 * AnnotatedFeed (facefleet.annotated → GET /api/cameras, latest.jpg, throttled frame notices) and
 * PeopleService (GET/POST/DELETE /api/people, photos → facefleet.gallery through the coordinator's gallery, read by an
 * agent's own GalleryReader).
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { after, before, test } from "node:test";
import sharp from "sharp";
import { outputMessages } from "../../agent/worker/outputs.js";
import { cameraRoutes } from "../../coordinator/api/routes-cameras.js";
import { peopleRoutes } from "../../coordinator/api/routes-people.js";
import { type ApiServer, startApiServer } from "../../coordinator/api/server.js";
import { AnnotatedFeed } from "../../coordinator/media/annotated-feed.js";
import { PeopleService } from "../../coordinator/people/people-service.js";
import { GalleryReader } from "../../gallery/gallery-reader.js";
import { type OpenGallery, openGallery } from "../../gallery/open-gallery.js";
import type { StreamMessage } from "../../protocol/api.js";
import type { Detection } from "../../protocol/detection.js";
import { topics } from "../../protocol/topics.js";
import { createTopics, startBroker, type TestBroker, waitFor } from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { FakeControl } from "./fake-control.js";

useTestModels();

const TOKEN = "media-people-test-token";

let broker: TestBroker;
let feed: AnnotatedFeed;
let people: PeopleService;
let api: ApiServer;
let coordinatorGallery: OpenGallery;
let follower: GalleryReader;
const frameNotices: { camera: string; time: number }[] = [];
const streamed: StreamMessage[] = [];
const logs: string[] = [];

before(async () => {
  broker = await startBroker(20492);
  await createTopics(broker.kafka);
  const log = (line: string) => logs.push(line);
  feed = await AnnotatedFeed.start({ kafka: broker.kafka, log, onFrame: (camera, time) => frameNotices.push({ camera, time }) });
  coordinatorGallery = await openGallery({ kafka: broker.kafka, clientName: "coordinator-gallery", log });
  people = await PeopleService.start({
    gallery: coordinatorGallery,
    recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
    log,
    onChange: (message) => streamed.push(message),
  });
  api = await startApiServer({
    control: new FakeControl([{ id: "agent-1", online: true }]),
    host: "127.0.0.1",
    port: 0,
    token: TOKEN,
    routes: [...cameraRoutes(feed), ...peopleRoutes(people)],
    log,
  });
  // The agents' own follower: what a push must reach.
  follower = new GalleryReader({ kafka: broker.kafka, topic: topics.gallery, clientName: "gallery-test" });
  await follower.start(60_000);
});

after(async () => {
  await api?.close();
  await follower?.stop();
  await people?.stop();
  await coordinatorGallery?.stop();
  await feed?.stop();
  await broker?.stop();
});

type Answer = { status: number; json: unknown; body: Buffer; headers: Headers };

async function call(path: string, o: { method?: string; body?: unknown; token?: string | null } = {}): Promise<Answer> {
  const headers: Record<string, string> = {};
  const token = o.token === undefined ? TOKEN : o.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (o.body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${api.url}${path}`, {
    method: o.method ?? "GET",
    headers,
    ...(o.body !== undefined ? { body: JSON.stringify(o.body) } : {}),
  });
  const body = Buffer.from(await response.arrayBuffer());
  const json = response.headers.get("content-type")?.includes("json") ? JSON.parse(body.toString()) : undefined;
  return { status: response.status, json, body, headers: response.headers };
}

/** What a worker produces for one frame (agent/worker/outputs.ts), with an annotated JPEG. */
async function produceAnnotated(camera: string, seq: number, jpeg: Buffer, captureTime: number): Promise<void> {
  const detection: Detection = {
    schemaVersion: 1,
    camera,
    seq,
    captureTime,
    doneTime: captureTime + 40,
    agent: "agent-1",
    partition: 0,
    offset: String(seq),
    width: 320,
    height: 240,
    faces: [],
    models: { detector: "d", recognizer: "r" },
    galleryVersion: 0,
    timingsMs: { queue: 0, decode: 1, detect: 1, align: 0, embed: 0, match: 0, track: 0, total: 2 },
  };
  const producer = broker.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.sendBatch({ topicMessages: outputMessages({ detection, annotated: jpeg, events: [] }), acks: -1 });
  } finally {
    await producer.disconnect();
  }
}

const base64 = async (path: string) => (await readFile(path)).toString("base64");

test("401 without a token on the camera and people routes", async () => {
  for (const path of ["/api/cameras", "/api/cameras/cam-a/latest.jpg", "/api/people"]) {
    const answer = await call(path, { token: null });
    assert.equal(answer.status, 401, path);
    assert.deepEqual((answer.json as { error: string }).error, "unauthorized");
  }
  assert.equal((await call("/api/people/x/photos", { method: "POST", token: null, body: { image: "AAAA" } })).status, 401);
});

test("an annotated frame is listed under /api/cameras and served as latest.jpg", async () => {
  assert.deepEqual((await call("/api/cameras")).json, { cameras: [] });
  const missing = await call("/api/cameras/cam-a/latest.jpg");
  assert.equal(missing.status, 404);
  assert.equal((missing.json as { error: string }).error, "not-found");

  const jpeg = await readFile(exampleImage("obama_small.jpg"));
  // The feed joins at the topic's end: produce until it has joined and seen one.
  let seq = 0;
  const t0 = 1_800_000_000_000;
  await waitFor(
    "cam-a in /api/cameras",
    () => {
      if (feed.latest("cam-a")) return true;
      void produceAnnotated("cam-a", seq, jpeg, t0 + seq);
      seq++;
      return false;
    },
    60_000,
    1000,
  );
  const list = (await call("/api/cameras")).json as { cameras: { camera: string; updatedAt: number }[] };
  assert.equal(list.cameras.length, 1);
  assert.equal(list.cameras[0]?.camera, "cam-a");
  assert.ok((list.cameras[0]?.updatedAt ?? 0) >= t0);

  const latest = await call("/api/cameras/cam-a/latest.jpg");
  assert.equal(latest.status, 200);
  assert.equal(latest.headers.get("content-type"), "image/jpeg");
  assert.equal(latest.headers.get("cache-control"), "no-store");
  assert.ok(latest.body.equals(jpeg), "the bytes the agent produced");
  await waitFor("a frame notice for cam-a", () => frameNotices.some((n) => n.camera === "cam-a"));
});

test("a burst of frames is told at most a few times, ending with the newest", async () => {
  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 20, b: 30 } } })
    .jpeg()
    .toBuffer();
  const t0 = 1_800_000_100_000;
  const producer = broker.kafka.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  const burst = 12;
  try {
    for (let seq = 0; seq < burst; seq++) {
      const detection = {
        camera: "cam-b",
        seq,
        captureTime: t0 + seq,
        agent: "agent-1",
        partition: 0,
        offset: String(seq),
        width: 64,
        height: 48,
        galleryVersion: 0,
      };
      await producer.sendBatch({ topicMessages: outputMessages({ detection: detection as Detection, annotated: jpeg, events: [] }) });
    }
  } finally {
    await producer.disconnect();
  }
  await waitFor("the newest cam-b frame told", () => frameNotices.some((n) => n.camera === "cam-b" && n.time === t0 + burst - 1));
  const told = frameNotices.filter((n) => n.camera === "cam-b");
  assert.ok(told.length < burst, `${told.length} notices for ${burst} frames`);
  assert.equal(feed.latest("cam-b")?.time, t0 + burst - 1);
  const list = (await call("/api/cameras")).json as { cameras: { camera: string }[] };
  assert.deepEqual(
    list.cameras.map((c) => c.camera),
    ["cam-a", "cam-b"],
  );
});

test("people: create, 400 naming the field, 409 for an existing name, 404 for an unknown one", async () => {
  const bad = await call("/api/people", { method: "POST", body: { name: "" } });
  assert.equal(bad.status, 400);
  assert.match((bad.json as { message: string }).message, /^name: /);
  const spaced = await call("/api/people", { method: "POST", body: { name: " obama" } });
  assert.equal(spaced.status, 400);

  const created = await call("/api/people", { method: "POST", body: { name: "obama" } });
  assert.equal(created.status, 200, JSON.stringify(created.json));
  assert.deepEqual((created.json as { person: unknown }).person, {
    name: "obama",
    photos: 0,
    recognizer: null,
    updatedAt: null,
    published: false,
  });
  assert.equal((await call("/api/people", { method: "POST", body: { name: "obama" } })).status, 409);
  const unknown = await call("/api/people/nobody/photos", { method: "POST", body: { image: await base64(exampleImage("obama.jpg")) } });
  assert.equal(unknown.status, 404);
  const listed = (await call("/api/people")).json as { people: { name: string }[] };
  assert.deepEqual(
    listed.people.map((p) => p.name),
    ["obama"],
  );
});

test("a one-face photo enrolls the person on facefleet.gallery, where the agents' follower reads it", async () => {
  const before = streamed.length;
  const answer = await call("/api/people/obama/photos", { method: "POST", body: { image: await base64(exampleImage("obama.jpg")) } });
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  const result = answer.json as {
    person: { name: string; photos: number; published: boolean; recognizer: string };
    faces: number;
    backgroundFaces: number;
    version: number;
  };
  assert.equal(result.faces, 1);
  assert.equal(result.backgroundFaces, 0);
  assert.equal(result.person.photos, 1);
  assert.equal(result.person.published, true);
  assert.ok(result.version >= 1);

  await waitFor("the follower holds obama", () => follower.names.includes("obama"));
  assert.equal(follower.entries().find((e) => e.name === "obama")?.embeddings, 1);
  assert.equal(follower.entries().find((e) => e.name === "obama")?.recognizer, result.person.recognizer);

  // A second photo (with a data: URL prefix) is added to the same record.
  const second = await call("/api/people/obama/photos", {
    method: "POST",
    body: { image: `data:image/jpeg;base64,${await base64(exampleImage("obama2.jpg"))}` },
  });
  assert.equal(second.status, 200, JSON.stringify(second.json));
  assert.equal((second.json as { person: { photos: number } }).person.photos, 2);
  await waitFor("the follower holds 2 embeddings of obama", () => follower.entries().find((e) => e.name === "obama")?.embeddings === 2);
  await waitFor("the follower reaches the service's version", () => follower.version === people.version);

  const list = (await call("/api/people")).json as {
    version: number;
    people: { name: string; photos: number; updatedAt: number | null }[];
  };
  assert.equal(list.version, follower.version);
  assert.deepEqual(list.people, [
    { name: "obama", photos: 2, recognizer: result.person.recognizer, updatedAt: list.people[0]?.updatedAt, published: true },
  ]);
  assert.equal(typeof list.people[0]?.updatedAt, "number");
  const gallery = streamed.slice(before).filter((m) => m.type === "gallery");
  assert.ok(gallery.length >= 2);
  assert.deepEqual(gallery.at(-1), { type: "gallery", version: list.version, identities: 1 });
});

test("photos without one clear subject, and non-pictures, are refused with 422 and the reason", async () => {
  const two = await call("/api/people/obama/photos", { method: "POST", body: { image: await base64(exampleImage("two_people.jpg")) } });
  assert.equal(two.status, 422);
  assert.equal((two.json as { error: string }).error, "several-faces");
  assert.match((two.json as { message: string }).message, /^2 faces found and none is clearly the subject/);

  const sky = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 90, g: 140, b: 210 } } })
    .png()
    .toBuffer();
  const none = await call("/api/people/obama/photos", { method: "POST", body: { image: sky.toString("base64") } });
  assert.equal(none.status, 422);
  assert.equal((none.json as { error: string }).error, "no-face");

  const text = await call("/api/people/obama/photos", { method: "POST", body: { image: Buffer.from("not a picture").toString("base64") } });
  assert.equal(text.status, 422);
  assert.equal((text.json as { error: string }).error, "bad-image");

  const notBase64 = await call("/api/people/obama/photos", { method: "POST", body: { image: "%%%" } });
  assert.equal(notBase64.status, 400);
  assert.match((notBase64.json as { message: string }).message, /^image: /);

  // Nothing changed.
  assert.equal(follower.entries().find((e) => e.name === "obama")?.embeddings, 2);
});

test("a photo with a smaller face in the background enrolls its subject and counts the other; a blurred one is refused", async () => {
  // obama.jpg (a 240 px face) with biden.jpg shrunk into its lower left corner (a 59 px face).
  const biden = await sharp(exampleImage("biden.jpg")).resize(200).toBuffer();
  const withBackground = await sharp(exampleImage("obama.jpg"))
    .composite([{ input: biden, left: 20, top: 680 }])
    .jpeg()
    .toBuffer();
  const answer = await call("/api/people/obama/photos", { method: "POST", body: { image: withBackground.toString("base64") } });
  assert.equal(answer.status, 200, JSON.stringify(answer.json));
  const result = answer.json as { person: { photos: number }; faces: number; backgroundFaces: number };
  assert.deepEqual([result.faces, result.backgroundFaces, result.person.photos], [1, 1, 3]);
  assert.ok(logs.some((line) => /people: photo 3 of "obama" enrolled \(ignored 1 background face\)/.test(line)));
  await waitFor("the follower holds 3 embeddings of obama", () => follower.entries().find((e) => e.name === "obama")?.embeddings === 3);

  const blurred = await sharp(exampleImage("obama.jpg")).blur(8).png().toBuffer();
  const refused = await call("/api/people/obama/photos", { method: "POST", body: { image: blurred.toString("base64") } });
  assert.equal(refused.status, 422);
  assert.equal((refused.json as { error: string }).error, "face-blurred");
  assert.match((refused.json as { message: string }).message, /^Face blurred \(sharpness 0\.\d+, needs more than 0\.25\)/);
});

test("a large photo fits the route's body limit", async () => {
  const big = await readFile(exampleImage("obama-1080p.jpg"));
  const answer = await call("/api/people", { method: "POST", body: { name: "Barack Obama" } });
  assert.equal(answer.status, 200);
  const photo = await call("/api/people/Barack%20Obama/photos", { method: "POST", body: { image: big.toString("base64") } });
  assert.equal(photo.status, 200, JSON.stringify(photo.json));
  await waitFor("the follower holds Barack Obama", () => follower.names.includes("Barack Obama"));
});

test("delete publishes a tombstone: the follower drops the person; a second delete is 404", async () => {
  const deleted = await call("/api/people/obama", { method: "DELETE" });
  assert.equal(deleted.status, 200, JSON.stringify(deleted.json));
  await waitFor("the follower dropped obama", () => !follower.names.includes("obama"));
  assert.deepEqual(follower.names, ["Barack Obama"]);
  assert.equal((await call("/api/people/obama", { method: "DELETE" })).status, 404);
  const list = (await call("/api/people")).json as { people: { name: string }[] };
  assert.deepEqual(
    list.people.map((p) => p.name),
    ["Barack Obama"],
  );

  // A person without photos is only forgotten.
  assert.equal((await call("/api/people", { method: "POST", body: { name: "nobody-yet" } })).status, 200);
  const versionBefore = people.version;
  assert.equal((await call("/api/people/nobody-yet", { method: "DELETE" })).status, 200);
  assert.equal(people.version, versionBefore);
});

test("openapi documents the camera and people routes, with the JPEG and the 422", async () => {
  const doc = (await call("/api/openapi.json")).json as {
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, unknown> }> }>>;
  };
  const jpeg = doc.paths["/api/cameras/{camera}/latest.jpg"]?.get;
  assert.ok(jpeg?.responses["200"]?.content?.["image/jpeg"]);
  const photos = doc.paths["/api/people/{name}/photos"]?.post;
  assert.deepEqual(Object.keys(photos?.responses ?? {}).sort(), ["200", "400", "401", "403", "404", "409", "422", "503"]);
  assert.ok(doc.paths["/api/people/{name}"]?.delete);
  assert.ok(doc.paths["/api/cameras"]?.get);
});
