/**
 * The one gallery writer (gallery/gallery-writer.ts) against a real Kafka broker, with the real models on real
 * photos (LFW, ../shared/data/lfw_dev):
 *
 * - an upload racing a correction loses neither: the coordinator's PeopleService and CorrectionService on ONE
 *   shared gallery (gallery/open-gallery.ts), many photo uploads and many corrections of the same person fired
 *   at once; after they settle, the person's record (as the coordinator and as an agent's own reader hold it)
 *   has every photo and every corrected face, and every record of that person on the topic has a higher
 *   revision than the one before and keeps everything the one before had;
 * - a blind write from another process (`facefleet gallery push`) that lands between what an update read and
 *   what it wrote is not overwritten: the update is applied again on top of it;
 * - a tombstone deletes the identity in every reader; a later record brings it back with a higher revision.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { type Corrections, startCorrections } from "../../coordinator/corrections/corrections.js";
import { PeopleService } from "../../coordinator/people/people-service.js";
import { type AppliedRecord, GalleryReader } from "../../gallery/gallery-reader.js";
import { type OpenGallery, openGallery } from "../../gallery/open-gallery.js";
import { publishIdentities, removeIdentities } from "../../gallery/publish-identities.js";
import { type KafkaConnection, kafkaConnectionSchema } from "../../kafka/connection-config.js";
import { eventId } from "../../protocol/api-events.js";
import { EVENT_SCHEMA_VERSION, type RecognitionEvent } from "../../protocol/event.js";
import { topics } from "../../protocol/topics.js";
import { chooseEnrollmentFace } from "../../recognition/dominant-face.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { createTopics, startBroker, type TestBroker, waitFor } from "../../testing/kafka-harness.js";
import { sharedDir, useTestModels } from "../../testing/paths.js";

const PERSON = "Tony_Blair";
const UPLOADS = 8;
const CORRECTIONS = 8;
const recognition = { executionProvider: "cpu", precision: "fp32", threads: 1 } as const;

let broker: TestBroker;
let connection: KafkaConnection;
let pipeline: RecognitionPipeline;
let gallery: OpenGallery;
let people: PeopleService;
let corrections: Corrections;
let stateDir: string;
/** An agent's own reader: what reaches the agents. */
let agentReader: GalleryReader;
/** Every record the agent's reader applied, in order. */
const applied: AppliedRecord[] = [];
const logs: string[] = [];
/** Photos of PERSON that enroll (one clear face), as bytes; and faces of other photos of PERSON, for events. */
const photos: Buffer[] = [];
const eventFaces: number[][] = [];

before(async () => {
  useTestModels();
  pipeline = await RecognitionPipeline.load(recognition);
  const files = readFileSync(join(sharedDir, "data", "lfw_dev", "gallery.tsv"), "utf8")
    .split("\n")
    .concat(readFileSync(join(sharedDir, "data", "lfw_dev", "probes.tsv"), "utf8").split("\n"))
    .map((line) => line.split("\t"))
    .filter(([, identity]) => identity === PERSON)
    .map(([image]) => join(sharedDir, "data", "lfw_dev", image as string));
  for (const file of files) {
    const bytes = readFileSync(file);
    const analysis = await pipeline.analyse(bytes);
    const choice = chooseEnrollmentFace(analysis.image, analysis.faces);
    if (!choice.accepted) continue;
    if (photos.length < UPLOADS + 1) photos.push(bytes);
    else if (eventFaces.length < CORRECTIONS) eventFaces.push(Array.from(choice.face.embedding, (v) => Math.round(v * 1e5) / 1e5));
  }
  assert.equal(photos.length, UPLOADS + 1, `${UPLOADS + 1} photos of ${PERSON} that enroll`);
  assert.equal(eventFaces.length, CORRECTIONS, `${CORRECTIONS} more faces of ${PERSON} for the events`);

  broker = await startBroker(20892);
  await createTopics(broker.kafka);
  await offsetsAnswered(topics.gallery);
  connection = kafkaConnectionSchema.parse({ brokers: [broker.bootstrap] });
  const log = (line: string) => logs.push(line);
  gallery = await openGallery({ kafka: broker.kafka, clientName: "coordinator-gallery", log });
  people = await PeopleService.start({ gallery, recognition, log });
  stateDir = await mkdtemp(join(tmpdir(), "facefleet-gallery-race-"));
  corrections = await startCorrections({ writer: gallery.writer, stateDir, log });
  agentReader = new GalleryReader({ kafka: broker.kafka, topic: topics.gallery, clientName: "gallery-agent" });
  agentReader.onRecord((record) => applied.push(record));
  await agentReader.start(60_000);
});

after(async () => {
  await agentReader?.stop();
  await corrections?.stop();
  await people?.stop();
  await gallery?.stop();
  await broker?.stop();
  if (stateDir) await rm(stateDir, { recursive: true, force: true });
});

/**
 * Right after the topics are created the broker can still answer a ListOffsets with "not the leader" (the
 * readers' first request): wait until it answers.
 */
async function offsetsAnswered(topic: string): Promise<void> {
  const admin = broker.kafka.admin();
  await admin.connect();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await admin.fetchTopicOffsets(topic);
        return;
      } catch (error) {
        if (attempt >= 50) throw error;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    await admin.disconnect();
  }
}

/** An unknown_person event carrying a face, as an agent announces it (protocol/event.ts). */
function unknownEvent(n: number, embedding: number[]): RecognitionEvent {
  return {
    schemaVersion: EVENT_SCHEMA_VERSION,
    type: "unknown_person",
    camera: "hall",
    trackId: `race-${n}`,
    identity: "Unknown",
    firstSeq: n,
    lastSeq: n + 1,
    time: Date.now(),
    agent: "agent-race",
    embedding,
    model: pipeline.recognizer.modelId,
  };
}

const sourcesOf = (record: AppliedRecord) => new Set(record.identity?.embeddings.map((e) => e.source) ?? []);

test("uploads racing corrections of the same person: every photo and every corrected face is kept, revisions grow", async () => {
  await people.create(PERSON);
  await people.addPhoto(PERSON, photos[0] as Buffer);
  const events = eventFaces.map((face, i) => unknownEvent(i + 1, face));
  for (const event of events) corrections.observe(event);

  // All at once: the people service queues its uploads, the corrections theirs; both meet at the one writer.
  const settled = await Promise.allSettled([
    ...photos.slice(1).map((photo) => people.addPhoto(PERSON, photo)),
    ...events.map((event) => corrections.control.correct(eventId(event), { identity: PERSON })),
  ]);
  const failed = settled.flatMap((s) => (s.status === "rejected" ? [String(s.reason)] : []));
  assert.deepEqual(failed, [], "every upload and correction succeeded");

  const expectedEvents = events.map((e) => `event:${eventId(e)}`).sort();
  const check = (held: ReturnType<GalleryReader["get"]>, who: string) => {
    assert.ok(held, `${who} holds ${PERSON}`);
    const sources = held.embeddings.map((e) => e.source);
    assert.equal(sources.filter((s) => s.startsWith("upload ")).length, UPLOADS + 1, `${who}: every uploaded photo`);
    assert.deepEqual(sources.filter((s) => s.startsWith("event:")).sort(), expectedEvents, `${who}: every corrected face`);
    assert.equal(held.embeddings.length, UPLOADS + 1 + CORRECTIONS, `${who}: nothing else`);
  };
  check(gallery.reader.get(PERSON), "the coordinator's reader");
  await waitFor("the agent's reader at the coordinator's version", () => agentReader.version >= gallery.reader.version, 15_000);
  check(agentReader.get(PERSON), "an agent's reader");
  assert.equal(people.list().people.find((p) => p.name === PERSON)?.photos, UPLOADS + 1 + CORRECTIONS);

  // Every record of the person: a higher revision than the one before, and a superset of its faces.
  const records = applied.filter((r) => r.name === PERSON);
  assert.equal(records.length, 1 + UPLOADS + CORRECTIONS, "one record per upload and per correction");
  for (let i = 1; i < records.length; i++) {
    const [before, now] = [records[i - 1] as AppliedRecord, records[i] as AppliedRecord];
    assert.ok(now.offset > before.offset && now.identity?.revision === now.offset, `record ${i}: revision grows`);
    const kept = sourcesOf(now);
    const lost = [...sourcesOf(before)].filter((s) => !kept.has(s));
    assert.deepEqual(lost, [], `record ${i} keeps every face of record ${i - 1}`);
    assert.equal(kept.size, sourcesOf(before).size + 1, `record ${i} adds one face`);
  }
});

test("a blind push from another process between an update's read and its write is kept: the update is applied on top of it", async () => {
  const face = (n: number) => Float32Array.from({ length: pipeline.recognizer.embeddingSize }, (_, i) => ((i * 7 + n) % 13) / 13 + 0.01);
  const name = "pushed-meanwhile";
  let pushed = false;
  const result = await gallery.writer.update(async (current) => {
    const held = current.get(name);
    if (!pushed) {
      // `facefleet gallery push` from elsewhere: acked before this update's record is sent.
      pushed = true;
      await publishIdentities(connection, [{ name, embeddings: [{ vector: face(1), source: "pushed.jpg" }] }], pipeline.recognizer);
    }
    const embeddings = [...(held?.embeddings ?? []), { vector: face(2), source: "update" }];
    return [{ kind: "put", identity: { name, embeddings }, recognizer: pipeline.recognizer }];
  });
  assert.deepEqual(
    result.writes.flatMap((w) => (w.kind === "put" ? w.identity.embeddings.map((e) => e.source) : [])),
    ["pushed.jpg", "update"],
    "the second attempt built on the push",
  );
  assert.deepEqual(
    gallery.reader.get(name)?.embeddings.map((e) => e.source),
    ["pushed.jpg", "update"],
  );
  assert.ok(logs.some((line) => line.includes(`${name} written by another writer meanwhile`)));
  await waitFor("the agent's reader to hold both", () => agentReader.get(name)?.embeddings.length === 2, 15_000);
});

test("a tombstone deletes the identity in every reader; a later record brings it back with a higher revision", async () => {
  const name = "pushed-meanwhile";
  const revision = gallery.reader.get(name)?.revision ?? -1;
  assert.ok(revision >= 0);
  await removeIdentities(connection, [name]);
  await waitFor("both readers to drop it", () => !gallery.reader.get(name) && !agentReader.get(name), 15_000);
  assert.ok(!gallery.reader.names.includes(name));
  const face = Float32Array.from({ length: pipeline.recognizer.embeddingSize }, (_, i) => (i % 5) / 5 + 0.1);
  const back = await gallery.writer.update((current) => {
    assert.equal(current.get(name), undefined, "the update sees the deletion");
    return [{ kind: "put", identity: { name, embeddings: [{ vector: face, source: "again" }] }, recognizer: pipeline.recognizer }];
  });
  assert.ok(back.version > 0);
  assert.ok((gallery.reader.get(name)?.revision ?? -1) > revision + 1, "after the old record and the tombstone");
  assert.deepEqual(
    gallery.reader.get(name)?.embeddings.map((e) => e.source),
    ["again"],
  );
});
