/**
 * The audit log's file (coordinator/audit/audit-log.ts: append-only JSON lines, read back, a torn last line skipped,
 * filters) and the retention of the recent events with a clock the test moves (coordinator/corrections/: purged on
 * schedule by `startCorrections`, events already past it not kept; the face store's own is in ../faces/).
 */
import assert from "node:assert/strict";
import { appendFile, mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { AuditLog } from "../../../coordinator/audit/audit-log.js";
import { startCorrections } from "../../../coordinator/corrections/corrections.js";
import type { GalleryUpdates } from "../../../gallery/gallery-writer.js";
import type { RecognitionEvent } from "../../../protocol/event.js";

const dirs: string[] = [];
after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-privacy-unit-"));
  dirs.push(dir);
  return dir;
}

test("audit log: one JSON line per entry, in order, read back after a restart; a torn last line is skipped", async () => {
  const path = join(await tempDir(), "audit.jsonl");
  let clock = 1_700_000_000_000;
  const lines: string[] = [];
  const log = await AuditLog.open({ path, now: () => clock, log: (l) => lines.push(l) });
  await Promise.all([
    log.append("api-token", { action: "person.create", subject: "Ann" }),
    log.append("api-token", { action: "person.enroll", subject: "Ann", details: { photos: 1, galleryVersion: 3 } }),
  ]);
  clock += 1000;
  await log.append("session 0123abcd", { action: "person.forget", subject: "Ann", details: { faces: 4 } });
  await assert.rejects(log.append("", { action: "person.delete", subject: "Ann" }), /audit entry: actor/);
  const text = await readFile(path, "utf8");
  assert.deepEqual(
    text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).action),
    ["person.create", "person.enroll", "person.forget"],
  );
  assert.equal(((await stat(path)).mode & 0o777).toString(8), "600");
  const listed = log.list();
  assert.equal(listed.total, 3);
  assert.deepEqual(
    listed.entries.map((e) => [e.action, e.actor, e.time]),
    [
      ["person.forget", "session 0123abcd", clock],
      ["person.enroll", "api-token", clock - 1000],
      ["person.create", "api-token", clock - 1000],
    ],
  );
  assert.deepEqual(log.list({ action: "person.enroll" }).entries[0]?.details, { photos: 1, galleryVersion: 3 });
  assert.equal(log.list({ limit: 1 }).entries.length, 1);
  await log.stop();

  // A crash in the middle of a write leaves a torn line: skipped when read back; the next entry starts a new line.
  await appendFile(path, '{"time": 17000, "actor": "api-tok');
  const again = await AuditLog.open({ path, now: () => clock, log: (l) => lines.push(l) });
  assert.equal(again.list().total, 3);
  assert.ok(lines.some((l) => /line 4 is not JSON/.test(l)));
  await again.append("api-token", { action: "cluster.dismiss", subject: "00000000000000ff", details: { faces: 2 } });
  const reread = await AuditLog.open({ path });
  assert.deepEqual(
    reread.list().entries.map((e) => e.action),
    ["cluster.dismiss", "person.forget", "person.enroll", "person.create"],
  );
});

const noGallery: GalleryUpdates = {
  update: () => Promise.reject(new Error("no gallery in this test")),
};

function event(track: number, time: number): RecognitionEvent {
  return {
    schemaVersion: 1,
    type: "person_seen",
    camera: "door",
    trackId: `t${track}`,
    identity: "Ann",
    firstSeq: 1,
    lastSeq: 2,
    time,
    agent: "agent-1",
    embedding: [3, 4, 0],
    model: "sface-2021dec-opt",
    crop: Buffer.from([0xff, 0xd8, 0xff, 0xd9]).toString("base64"),
  };
}

test("recent events: purged on schedule past corrections.retentionHours; an event already past it is not kept", async (t) => {
  const HOUR = 3_600_000;
  let clock = 1_700_000_000_000;
  const lines: string[] = [];
  const corrections = await startCorrections({
    writer: noGallery,
    stateDir: await tempDir(),
    eventRetentionHours: 2,
    eventPurgeIntervalMs: 50,
    now: () => clock,
    log: (l) => lines.push(l),
  });
  t.after(() => corrections.stop());
  corrections.observe(event(1, clock - 3 * HOUR)); // past the retention already (a replay)
  corrections.observe(event(2, clock - HOUR));
  corrections.observe(event(3, clock));
  assert.deepEqual(
    corrections.control.events({}).map((e) => e.trackId),
    ["t3", "t2"],
  );
  clock += 1.5 * HOUR; // t2 is 2.5 h old now: the next purge (every 50 ms) deletes it
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.deepEqual(
    corrections.control.events({}).map((e) => e.trackId),
    ["t3"],
  );
  assert.ok(
    lines.some((l) => l === "corrections: 1 events purged (older than 2 h)"),
    lines.join("\n"),
  );
  clock += HOUR;
  assert.equal(corrections.purgeEvents(), 1);
  assert.equal(corrections.service.size, 0);
});
