/**
 * The frame fuzzer's (testing/frame-fuzz.ts) header cases that the fuzz run found accepted, replayed through
 * the worker's admission (agent/worker/frame-intake.ts) without a broker: each must be rejected at the stage
 * its case names. Seed 1, the seed of the run that found them; every case of the kind is checked.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KafkaMessage } from "kafkajs";
import { DLQ_FRAME_HEADERS, deadLetterMessage } from "../../agent/worker/dead-letter.js";
import { admitFrame } from "../../agent/worker/frame-intake.js";
import { type FuzzCase, type FuzzKind, generateFuzzCases, makeFuzzAssets } from "../../testing/frame-fuzz.js";
import { fuzzPictures } from "../../testing/frame-fuzz-run.js";

const limits = { maxFrameBytes: 200_000, maxFrameAgeMs: 0, maxFramePixels: 33_177_600 };

async function casesOf(kind: FuzzKind, seed = 1, count = 400): Promise<FuzzCase[]> {
  const assets = await makeFuzzAssets(await fuzzPictures(), limits.maxFrameBytes, seed);
  return [...generateFuzzCases(seed, count, assets)].filter((c) => c.kind === kind);
}

function admit(c: FuzzCase) {
  const message = { offset: String(c.index), ...c.record } as unknown as Pick<KafkaMessage, "offset" | "key" | "value" | "headers">;
  return admitFrame("facefleet.frames", 0, message, limits);
}

function assertRejected(c: FuzzCase, reason: RegExp): void {
  const admission = admit(c);
  const stages = c.expect.outcome === "dlq" ? c.expect.stages : [];
  assert.equal(admission.kind, "reject", `case ${c.index} (${c.kind}) was admitted`);
  if (admission.kind !== "reject") return;
  assert.ok(stages.includes(admission.stage), `case ${c.index}: stage ${admission.stage}, expected ${stages.join("|")}`);
  assert.match(admission.reason, reason, `case ${c.index}`);
}

test("fuzz cases: a frame header given twice is refused (found at seed 1, case 62)", async () => {
  const cases = await casesOf("duplicate-header");
  assert.ok(cases.some((c) => c.index === 62));
  for (const c of cases) assertRejected(c, /^invalid frame header [a-z-]+: given 2 times$/);
});

test("fuzz cases: an oversized header value is refused, the producer's too (found at seed 1, case 148)", async () => {
  const cases = await casesOf("oversized-header");
  assert.ok(cases.some((c) => c.index === 148));
  for (const c of cases) assertRejected(c, /^invalid frame header (camera|producer|format|seq): /);
});

test("fuzz cases: headers naming a picture larger than maxFramePixels are refused undecoded (found at seed 1, case 65)", async () => {
  const cases = await casesOf("huge-dimensions-header");
  assert.ok(cases.some((c) => c.index === 65));
  for (const c of cases) assertRejected(c, /^frame is \d+x\d+ \(\d+ pixels\), more than the limit of 33177600$/);
});

test("fuzz cases: a frame with thousands of junk headers makes a DLQ record of bounded size (found at seed 1: 2713 headers copied)", async () => {
  const cases = await casesOf("junk-headers");
  assert.ok(cases.length > 0);
  for (const c of cases) {
    const admission = admit(c);
    assert.equal(admission.kind, "reject");
    if (admission.kind !== "reject") continue;
    const record = {
      topic: "facefleet.frames",
      partition: 0,
      offset: String(c.index),
      key: null,
      value: c.record.value,
      headers: c.record.headers,
    };
    const dlq = deadLetterMessage(record, admission, "fuzz-agent", 900_000);
    const names = Object.keys(dlq.headers ?? {});
    const copied = names.filter((n) => n.startsWith("frame."));
    assert.equal(copied.length, DLQ_FRAME_HEADERS);
    assert.ok(copied.every((n) => n.length <= "frame.".length + 64));
    const total = Object.keys(c.record.headers).length;
    assert.equal(Number(dlq.headers?.["frame-headers-dropped"]), total - DLQ_FRAME_HEADERS);
  }
});

test("fuzz cases: a binary record key is escaped and cut in the reason (found at seed 1, case 79: raw bytes in the log)", async () => {
  const cases = (await casesOf("wrong-key")).filter((c) => Buffer.isBuffer(c.record.key));
  assert.ok(cases.length > 0);
  for (const c of cases) {
    assertRejected(c, /^record key '.*' is not the camera header 'fuzz-cam'$/);
    const admission = admit(c);
    const reason = admission.kind === "reject" ? admission.reason : "";
    assert.match(reason, /^[\x20-\x7e…]+$/, `case ${c.index}: ${reason}`);
    assert.ok(reason.length < 160);
  }
});
