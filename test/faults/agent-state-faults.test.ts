/**
 * Where an agent keeps state, failing: the capture sequence store (agent/capture/sequence-store.ts) with the disk
 * full — simulated by this process's own file-size limit (`prlimit --fsize=0`, what `ulimit -f 0` sets: every write
 * to a file fails with EFBIG; a small tmpfs would need privileges) — and a corrupt state file at start. And the
 * agent's clock against its cameras' (agent/worker/capture-clock.ts), the rule that keeps the stale-frame check sane
 * on a device whose clock is off (the fleet case: test/faults/fleet-faults.test.ts).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { SequenceStore, stateFileFor } from "../../agent/capture/sequence-store.js";
import { CaptureClock } from "../../agent/worker/capture-clock.js";
import { admitFrame } from "../../agent/worker/frame-intake.js";
import { frameHeaders } from "../../testing/kafka-harness.js";

const tempDir = () => mkdtempSync(path.join(tmpdir(), "facefleet-state-faults-"));
/** This process's soft file-size limit (the hard one stays unlimited, so it can be raised again). */
const fileSizeLimit = (soft: "0" | "unlimited") => execFileSync("prlimit", ["--pid", String(process.pid), `--fsize=${soft}:unlimited`]);

test("disk full under the sequence store: seqs of the durable block go on, then next() fails naming the file; room again → capture resumes, no seq reused", async (t) => {
  const dir = tempDir();
  t.after(() => {
    fileSizeLimit("unlimited");
    rmSync(dir, { recursive: true, force: true });
  });
  const store = await SequenceStore.open(dir, "door", { block: 10 });
  const seqs: number[] = [];
  for (let i = 0; i < 3; i++) seqs.push(await store.next());
  fileSizeLimit("0");
  // The reservation written at open (10) still holds: seqs below it are handed out although the extension fails.
  const failures: string[] = [];
  for (let i = 0; i < 12; i++) {
    try {
      seqs.push(await store.next());
    } catch (error) {
      failures.push((error as Error).message);
    }
  }
  assert.ok(failures.length > 0, "the block ran out while the disk was full");
  assert.match(failures[0] as string, /cannot write sequence state .*door\.seq\.json: .*EFBIG/);
  assert.deepEqual(seqs, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  fileSizeLimit("unlimited");
  const after = [await store.next(), await store.next()];
  assert.deepEqual(after, [10, 11], "capture resumes where it stopped: nothing skipped, nothing reused");
  await store.close();
});

test("disk full at open: one line naming the state file; a corrupt state file: one line saying what to do", async (t) => {
  const dir = tempDir();
  t.after(() => {
    fileSizeLimit("unlimited");
    rmSync(dir, { recursive: true, force: true });
  });
  fileSizeLimit("0");
  await assert.rejects(SequenceStore.open(dir, "door"), (error: Error) => {
    assert.match(error.message, /^cannot write sequence state .*door\.seq\.json: EFBIG/);
    assert.ok(!error.message.includes("\n"));
    return true;
  });
  fileSizeLimit("unlimited");
  writeFileSync(stateFileFor(dir, "yard"), '{"version":1,"camera":"yard","reser');
  await assert.rejects(SequenceStore.open(dir, "yard"), (error: Error) => {
    assert.match(error.message, /^sequence state .*yard\.seq\.json is corrupt; move it away only if no frames of this camera exist yet/);
    assert.ok(!error.message.includes("\n"));
    return true;
  });
});

test("capture clock: a camera's newest frames give the clocks' difference; stale frames stay stale, fresh ones are taken", () => {
  const clock = new CaptureClock();
  const limits = { maxFrameBytes: 1 << 20, maxFrameAgeMs: 5000, maxFramePixels: 1 << 24 };
  const now = 1_800_000_000_000;
  const message = (seq: number, captureTime: number) => ({
    offset: String(seq),
    key: Buffer.from("door"),
    value: Buffer.from([0xff, 0xd8, 0xff]),
    headers: frameHeaders("door", seq, captureTime),
  });
  const admit = (seq: number, captureTime: number, at = now) =>
    admitFrame("facefleet.frames", 0, message(seq, captureTime), limits, at, (camera) => clock.offsetMs(camera)).kind;
  // This agent's clock 5 minutes ahead: before any newest frame is seen, a fresh frame looks stale.
  const ahead = 5 * 60_000;
  assert.equal(admit(1, now - ahead), "stale");
  clock.observeHead("door", "1", ahead + 40);
  assert.equal(clock.offsetMs("door"), ahead + 40);
  assert.equal(admit(2, now - ahead - 1000), "frame");
  assert.equal(admit(3, now - ahead - 60_000), "stale", "a frame a minute old is still stale");
  // 5 minutes behind.
  const behind = new CaptureClock();
  behind.observeHead("door", "7", -ahead + 30);
  assert.equal(behind.offsetMs("door"), -ahead + 30);
  assert.equal(
    admitFrame("facefleet.frames", 0, message(8, now + ahead - 60_000), limits, now, (c) => behind.offsetMs(c)).kind,
    "stale",
    "without the estimate a frame from the future is never stale",
  );
  // Clocks that agree within the tolerance: no correction (latency is not skew); the same newest frame again adds nothing.
  const agree = new CaptureClock();
  agree.observeHead("door", "9", 300);
  agree.observeHead("door", "9", 90_000);
  assert.equal(agree.offsetMs("door"), 0);
});
