import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { readState, SequenceStore, stateFileFor } from "../../agent/capture/sequence-store.js";

const tempDir = () => mkdtempSync(path.join(tmpdir(), "facefleet-seq-"));

test("a clean restart continues exactly after the last seq", async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const first = await SequenceStore.open(dir, "cam-1");
  assert.equal(first.resumed, undefined);
  const seqs = [];
  for (let i = 0; i < 5; i++) seqs.push(await first.next());
  assert.deepEqual(seqs, [0, 1, 2, 3, 4]);
  await first.close();
  const state = await readState(stateFileFor(dir, "cam-1"));
  assert.equal(state?.reserved, 5);
  assert.equal(state?.clean, true);

  const second = await SequenceStore.open(dir, "cam-1");
  assert.deepEqual(second.resumed, { from: 5, clean: true });
  assert.equal(await second.next(), 5);
  await second.close();
});

test("after a crash the producer resumes above every seq it handed out", async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const block = 8;
  let last = -1;
  for (let run = 0; run < 3; run++) {
    const store = await SequenceStore.open(dir, "door", { block });
    // Any number of frames, including past several block extensions; then "crash" (no close).
    for (let i = 0; i < 5 + run * 9; i++) {
      const seq = await store.next();
      assert.ok(seq > last, `seq ${seq} after ${last}`);
      last = seq;
    }
    await store.settle();
    const state = await readState(stateFileFor(dir, "door"));
    assert.equal(state?.clean, false);
    assert.ok((state?.reserved ?? 0) > last, "the durable reservation is above the last seq");
  }
  const after = await SequenceStore.open(dir, "door", { block });
  assert.equal(after.resumed?.clean, false);
  const next = await after.next();
  assert.ok(next > last && next <= last + 2 * block, `resumed at ${next} after ${last}`);
  await after.close();
});

test("cameras have their own files; a corrupt or foreign state file is a clear error", async (t) => {
  const dir = tempDir();
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const a = await SequenceStore.open(dir, "lobby/east");
  const b = await SequenceStore.open(dir, "garage");
  await a.next();
  await a.next();
  await b.next();
  await a.close();
  await b.close();
  assert.equal((await readState(stateFileFor(dir, "lobby/east")))?.reserved, 2);
  assert.equal((await readState(stateFileFor(dir, "garage")))?.reserved, 1);
  assert.match(path.basename(stateFileFor(dir, "lobby/east")), /^lobby%2Feast\.seq\.json$/);

  writeFileSync(stateFileFor(dir, "garage"), "{not json");
  await assert.rejects(SequenceStore.open(dir, "garage"), /corrupt/);
  const foreign = JSON.parse(readFileSync(stateFileFor(dir, "lobby/east"), "utf8"));
  writeFileSync(stateFileFor(dir, "x"), JSON.stringify(foreign));
  await assert.rejects(SequenceStore.open(dir, "x"), /belongs to camera 'lobby\/east'/);
});
