/**
 * Bad records on the compacted facefleet.gallery topic of a real broker, among good ones: not JSON, JSON of the
 * wrong shape, a key that is not the record's name, vectors of the wrong length, not base64, NaN and
 * infinite values, a 200 KB key, binary keys, random bytes. The gallery reader (gallery/gallery-reader.ts) that
 * agents and the coordinator use loads every good identity and skips each bad record with one short printable
 * log line naming its offset; the version still counts every record.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GalleryReader } from "../../gallery/gallery-reader.js";
import { encodeGalleryRecord } from "../../protocol/gallery-record.js";
import { topics } from "../../protocol/topics.js";
import { encodeVector } from "../../recognition/embedding-codec.js";
import { seededRandom } from "../../testing/frame-fuzz.js";
import { createTopics, startBroker } from "../../testing/kafka-harness.js";

const recognizer = { family: "sface", modelId: "sface-test", embeddingSize: 4 };
const vector = (...v: number[]) => new Float32Array(v);

test("gallery topic: bad records are skipped with a log line, the good ones load", { timeout: 120_000 }, async (t) => {
  const broker = await startBroker(25420);
  t.after(() => broker.stop());
  await createTopics(broker.kafka, 1);

  const good = (name: string) => encodeGalleryRecord({ name, embeddings: [{ vector: vector(1, 0, 0, 0), source: "test" }] }, recognizer);
  const valid = JSON.parse(good("x").value) as Record<string, unknown>;
  const withVector = (name: string, v: string) => JSON.stringify({ ...valid, name, embeddings: [{ vector: v, source: "t" }] });
  const random = seededRandom(14);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  // (A record without a key cannot be there: the broker refuses one on a compacted topic.)
  const bad: { key: Buffer | string; value: Buffer | string }[] = [
    { key: "not-json", value: "{" },
    { key: "wrong-shape", value: JSON.stringify({ format: "something-else" }) },
    { key: "key-is-not-name", value: good("another-name").value },
    { key: "short-vector", value: withVector("short-vector", encodeVector(vector(1, 2))) },
    { key: "not-base64", value: withVector("not-base64", "!!!!") },
    { key: "nan", value: withVector("nan", encodeVector(vector(Number.NaN, 0, 0, 0))) },
    { key: "infinite", value: withVector("infinite", encodeVector(vector(0, Number.POSITIVE_INFINITY, 0, 0))) },
    { key: "x".repeat(200_000), value: "{}" },
    { key: bytes(40), value: bytes(500) },
    { key: "random", value: bytes(3000) },
    { key: "array", value: "[1,2,3]" },
  ];
  const producer = broker.kafka.producer();
  await producer.connect();
  const messages = [good("alice"), ...bad.slice(0, 6), good("bob"), ...bad.slice(6), good("carol")];
  await producer.send({ topic: topics.gallery, acks: -1, messages });
  await producer.disconnect();

  const lines: string[] = [];
  const reader = new GalleryReader({ kafka: broker.kafka, topic: topics.gallery, clientName: "gallery-fuzz", log: (l) => lines.push(l) });
  t.after(() => reader.stop());
  await reader.start(60_000);

  assert.deepEqual(reader.names, ["alice", "bob", "carol"]);
  assert.equal(reader.version, messages.length);
  const skipped = lines.filter((l) => l.startsWith("gallery: record skipped"));
  assert.equal(skipped.length, bad.length, lines.join("\n"));
  assert.ok(
    skipped.every((l) => l.length < 400 && /^[\x20-\x7e…]+$/.test(l)),
    skipped.join("\n"),
  );
  assert.ok(
    skipped.some((l) => /nan.*vector value 0 is NaN, not a finite number/.test(l)),
    skipped.join("\n"),
  );
  assert.ok(skipped.some((l) => /does not match its name/.test(l)));
});
