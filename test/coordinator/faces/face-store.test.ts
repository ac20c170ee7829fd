/** The face store (coordinator/faces/face-store.ts): what is kept, retention and cap, files on disk, a restart, encrypted at rest. */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { FaceStore } from "../../../coordinator/faces/face-store.js";
import { atRestKey } from "../../../core/at-rest-cipher.js";
import { AtRestFiles } from "../../../core/at-rest-files.js";
import { eventId } from "../../../protocol/api-events.js";
import type { RecognitionEvent } from "../../../protocol/event.js";

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-face-store-"));
  dirs.push(dir);
  return join(dir, "faces");
}

const HOUR = 3_600_000;
const T0 = 1_700_000_000_000;
/** A tiny JPEG-looking crop: the store keeps bytes, it does not decode them. */
const CROP = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3, 0xff, 0xd9]).toString("base64");

function event(track: number, time: number, o: Partial<RecognitionEvent> = {}): RecognitionEvent {
  return {
    schemaVersion: 1,
    type: "unknown_person",
    camera: "door",
    trackId: `t${track}`,
    identity: "Unknown",
    firstSeq: 1,
    lastSeq: 2,
    time,
    agent: "agent-1",
    embedding: [3, 4, 0],
    model: "sface-2021dec-opt",
    crop: CROP,
    ...o,
  };
}

test("keeps events with an embedding, once; the embedding as a unit vector; the crop on disk", async () => {
  let now = T0;
  const dir = await tempDir();
  const store = await FaceStore.open({ dir, now: () => now });
  const kept = await store.observe(event(1, T0));
  assert.ok(kept);
  assert.deepEqual(
    [...kept.embedding].map((v) => Math.round(v * 1e6) / 1e6),
    [0.6, 0.8, 0],
  );
  assert.equal(await store.observe(event(1, T0)), undefined, "a redelivery is kept once");
  const { embedding: _e, ...noEmbedding } = event(2, T0);
  assert.equal(await store.observe(noEmbedding), undefined, "no embedding: nothing to keep");
  assert.equal(await store.observe(event(3, T0, { type: "person_left" })), undefined);
  assert.equal(await store.observe(event(4, T0 - 200 * HOUR)), undefined, "already past the retention (168 h)");
  const { crop: _c, ...noCrop } = event(5, T0, { type: "person_seen", identity: "Ann" });
  assert.ok(await store.observe(noCrop));
  assert.equal(store.size, 2);
  assert.deepEqual(await store.crop(eventId(event(1, T0))), Buffer.from(CROP, "base64"));
  assert.equal(await store.crop(eventId(noCrop)), undefined);
  const id = eventId(event(1, T0));
  assert.deepEqual((await readdir(dir)).sort(), [`${eventId(noCrop)}.json`, `${id}.jpg`, `${id}.json`].sort());
  now += 1;
  await store.stop();
});

test("a restart reads the faces back (named and dismissed marks too); files no face accounts for are deleted", async () => {
  const now = T0;
  const dir = await tempDir();
  const first = await FaceStore.open({ dir, now: () => now });
  for (let i = 0; i < 4; i++) await first.observe(event(i, T0 + i));
  const ids = first.all().map((f) => f.id);
  await first.mark([ids[0] as string], { namedAs: "Ann" });
  await first.mark([ids[1] as string], { dismissed: true });
  await first.stop();
  await writeFile(join(dir, "0123456789abcdef.jpg"), "a crop whose face was never written");
  await writeFile(join(dir, "fedcba9876543210.json"), "{ not json");

  const logs: string[] = [];
  const second = await FaceStore.open({ dir, now: () => now, log: (l) => logs.push(l) });
  assert.deepEqual(
    second.all().map((f) => f.id),
    ids,
  );
  assert.equal(second.get(ids[0] as string)?.namedAs, "Ann");
  assert.equal(second.get(ids[1] as string)?.dismissed, true);
  assert.equal(second.get(ids[2] as string)?.namedAs, null);
  assert.deepEqual(second.get(ids[3] as string)?.embedding, first.get(ids[3] as string)?.embedding, "the same vector");
  assert.deepEqual(await second.crop(ids[2] as string), Buffer.from(CROP, "base64"));
  const files = await readdir(dir);
  assert.ok(!files.includes("0123456789abcdef.jpg") && !files.includes("fedcba9876543210.json"), "strays deleted");
  assert.ok(!files.some((f) => f.endsWith(".tmp")), "no temporary file left");
  assert.ok(logs.some((l) => /fedcba9876543210\.json skipped/.test(l)));
  await second.stop();
});

test("retention: faces older than retentionHours are purged (memory and files), also across a restart", async () => {
  let now = T0;
  const dir = await tempDir();
  const store = await FaceStore.open({ dir, now: () => now, retentionHours: 2 });
  await store.observe(event(1, T0));
  await store.observe(event(2, T0 + HOUR));
  now = T0 + 2.5 * HOUR;
  assert.equal(await store.purge(), 1);
  assert.deepEqual(
    store.all().map((f) => f.trackId),
    ["t2"],
  );
  assert.equal((await readdir(dir)).filter((f) => f.startsWith(eventId(event(1, T0)))).length, 0, "its files are gone");
  await store.stop();
  now = T0 + 3.5 * HOUR;
  const reopened = await FaceStore.open({ dir, now: () => now, retentionHours: 2 });
  assert.equal(reopened.size, 0, "past the retention at the restart: purged on open");
  assert.deepEqual(await readdir(dir), []);
  await reopened.stop();
});

test("the cap: at most maxFaces, the oldest go first", async () => {
  const dir = await tempDir();
  const store = await FaceStore.open({ dir, now: () => T0 + 100, maxFaces: 3 });
  for (let i = 0; i < 5; i++) await store.observe(event(i, T0 + i));
  assert.deepEqual(
    store.all().map((f) => f.trackId),
    ["t2", "t3", "t4"],
  );
  assert.equal((await readdir(dir)).length, 6, "three faces, two files each");
  await store.stop();
});

test("encrypted at rest: sealed files read back; a damaged one is skipped with a log line; a wrong key stops the open and deletes nothing", async () => {
  const dir = await tempDir();
  const key = atRestKey(randomBytes(32));
  const files = new AtRestFiles(key);
  const first = await FaceStore.open({ dir, now: () => T0, files });
  for (let i = 0; i < 3; i++) await first.observe(event(i, T0 + i));
  await first.stop();
  const ids = first.all().map((f) => f.id);
  for (const name of await readdir(dir)) assert.equal((await readFile(join(dir, name))).subarray(0, 4).toString("latin1"), "FFAR", name);

  const stored = async () => (await readdir(dir)).sort();
  const before = await stored();
  await assert.rejects(
    FaceStore.open({ dir, now: () => T0, files: new AtRestFiles(atRestKey(randomBytes(32))) }),
    /[0-9a-f]{16}\.json is encrypted with key [0-9a-f]{16}, not with the configured key [0-9a-f]{16} \(encryptAtRest\): wrong key$/,
  );
  await assert.rejects(FaceStore.open({ dir, now: () => T0 }), /is encrypted at rest \(key [0-9a-f]{16}\) but encryptAtRest is not set/);
  assert.deepEqual(await stored(), before, "nothing purged as stray");

  const damaged = join(dir, `${ids[0]}.json`);
  const bytes = await readFile(damaged);
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
  await writeFile(damaged, bytes);
  const crop = join(dir, `${ids[1]}.jpg`);
  await writeFile(crop, (await readFile(crop)).subarray(0, 40));
  const logs: string[] = [];
  const second = await FaceStore.open({ dir, now: () => T0, files, log: (l) => logs.push(l) });
  assert.deepEqual(
    second.all().map((f) => f.id),
    ids.slice(1),
    "the damaged face is skipped, the others read back",
  );
  assert.ok(
    logs.some((l) => l.includes(`${ids[0]}.json skipped: `) && l.includes("is damaged: its encryption tag does not match")),
    logs.join("\n"),
  );
  assert.equal(await second.crop(ids[1] as string), undefined, "a damaged crop: none (logged)");
  assert.ok(logs.some((l) => l.startsWith(`faces: crop of ${ids[1]} unreadable: `)));
  assert.deepEqual(await second.crop(ids[2] as string), Buffer.from(CROP, "base64"));
  await second.stop();
});
