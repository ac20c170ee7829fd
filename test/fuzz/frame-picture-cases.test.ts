/**
 * The frame fuzzer's (testing/frame-fuzz.ts) picture cases that the fuzz run found decoded: JPEGs behind
 * headers that name a smaller picture, PNGs (a 9000x9000 one took seconds and 300 MB to decode) and JPEGs that
 * claim gigapixels. Replayed through admission and the picture check before decoding
 * (agent/worker/frame-picture.ts): every one is refused, without a pixel decoded; the valid frames pass.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { KafkaMessage } from "kafkajs";
import { admitFrame } from "../../agent/worker/frame-intake.js";
import { checkFramePicture } from "../../agent/worker/frame-picture.js";
import { encodeFrameHeaders, parseFrameHeaders } from "../../protocol/frame-headers.js";
import { DecodeError } from "../../recognition/decode.js";
import { type FuzzCase, generateFuzzCases, makeFuzzAssets, pngOfZeros } from "../../testing/frame-fuzz.js";
import { fuzzPictures } from "../../testing/frame-fuzz-run.js";

const limits = { maxFrameBytes: 200_000, maxFrameAgeMs: 0, maxFramePixels: 33_177_600 };

async function outcome(c: FuzzCase): Promise<string> {
  const message = { offset: String(c.index), ...c.record } as unknown as Pick<KafkaMessage, "offset" | "key" | "value" | "headers">;
  const admission = admitFrame("facefleet.frames", 0, message, limits);
  if (admission.kind === "reject") return `${admission.stage}: ${admission.reason}`;
  if (admission.kind === "stale") return "stale";
  try {
    await checkFramePicture(admission.frame.bytes, admission.frame.headers);
    return "frame";
  } catch (error) {
    assert.ok(error instanceof DecodeError, String(error));
    return `decode: ${error.message}`;
  }
}

test("fuzz cases: pictures larger than their headers or not JPEG are refused before decoding (seed 1: cases 50, 54)", async () => {
  const assets = await makeFuzzAssets(await fuzzPictures(), limits.maxFrameBytes, 1);
  const cases = [...generateFuzzCases(1, 400, assets)];
  const kinds = new Set(["wrong-dimensions", "png-bomb", "png-large", "jpeg-claims-gigapixels"]);
  const checked = cases.filter((c) => kinds.has(c.kind));
  assert.ok(checked.some((c) => c.index === 50 && c.kind === "png-large"));
  assert.ok(checked.some((c) => c.index === 54 && c.kind === "wrong-dimensions"));
  for (const c of checked) {
    const got = await outcome(c);
    const stages = c.expect.outcome === "dlq" ? c.expect.stages : [];
    assert.ok(
      stages.some((s) => got.startsWith(`${s}: `)),
      `case ${c.index} (${c.kind}): ${got}`,
    );
  }
  const reasons = await Promise.all(checked.map(outcome));
  assert.ok(reasons.some((r) => /^decode: cannot decode image: the picture is png, the format header says jpeg$/.test(r)));
  assert.ok(reasons.some((r) => /^decode: cannot decode image: the picture is \d+x\d+, larger than the \d+x\d+ its headers say$/.test(r)));
  for (const c of cases.filter((c) => c.kind === "valid").slice(0, 5)) assert.equal(await outcome(c), "frame");
});

test("picture check: a smaller picture than the headers say is taken; an EXIF quarter turn swaps width and height", async () => {
  const [picture] = await fuzzPictures();
  assert.ok(picture);
  const headers = (width: number, height: number) =>
    parseFrameHeaders(encodeFrameHeaders({ camera: "c", seq: 1, "capture-time": 1, width, height, format: "jpeg", producer: "p" }));
  await checkFramePicture(picture.jpeg, headers(picture.width, picture.height));
  await checkFramePicture(picture.jpeg, headers(640, 360));
  await assert.rejects(checkFramePicture(picture.jpeg, headers(picture.height, picture.width)), /larger than the/);
  const sharp = (await import("sharp")).default;
  const turned = await sharp(picture.jpeg).withMetadata({ orientation: 6 }).jpeg().toBuffer();
  await checkFramePicture(turned, headers(picture.height, picture.width));
  await assert.rejects(checkFramePicture(pngOfZeros(64, 64), headers(64, 64)), /the picture is png, the format header says jpeg/);
});
