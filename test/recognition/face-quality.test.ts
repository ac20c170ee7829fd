import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import sharp, { type Sharp } from "sharp";
import { decodeImage } from "../../recognition/decode.js";
import type { DetectedFace } from "../../recognition/face.js";
import { type FaceQuality, facePose, faceQuality } from "../../recognition/face-quality.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { sharedDir, useTestModels } from "../../testing/paths.js";

useTestModels();
const pipeline = await RecognitionPipeline.load({ executionProvider: "cpu", precision: "fp32", threads: 1 });
/** A sharp, frontal LFW face (about 93 px), alone in its picture. */
const frontal = join(sharedDir, "data", "lfw_dev", "images", "Annette_Lu", "Annette_Lu_0001.jpg");

/** The quality of the largest face found in the picture (after `change`). */
async function qualityOf(path: string, change: (s: Sharp) => Sharp = (s) => s): Promise<FaceQuality & { face: DetectedFace }> {
  const image = await decodeImage(await change(sharp(path)).png().toBuffer());
  const faces = await pipeline.detector.detect(image);
  const face = [...faces].sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
  assert.ok(face, `a face in ${path}`);
  return { ...faceQuality(image, face), face };
}

test("a sharp frontal LFW face scores high, with no issue", async () => {
  const q = await qualityOf(frontal);
  assert.deepEqual(q.issues, []);
  assert.ok(q.score >= 0.6, `score ${q.score}`);
  assert.ok(q.sizePixels > 80 && q.sizePixels < 110, `size ${q.sizePixels}`);
  assert.ok(Math.abs(q.pose.yaw) < 0.1 && Math.abs(q.pose.rollDegrees) < 5, JSON.stringify(q.pose));
  assert.ok(q.sharpness > 0.6, `sharpness ${q.sharpness}`);
});

test("the same face blurred scores lower, and blur sigma 3 is refused as blurred", async () => {
  const sharpFace = await qualityOf(frontal);
  const slightly = await qualityOf(frontal, (s) => s.blur(1.5));
  const blurred = await qualityOf(frontal, (s) => s.blur(3));
  assert.ok(
    slightly.sharpness < sharpFace.sharpness && blurred.sharpness < slightly.sharpness,
    `${sharpFace.sharpness} > ${slightly.sharpness} > ${blurred.sharpness}`,
  );
  assert.ok(slightly.score < sharpFace.score);
  assert.equal(blurred.score, 0);
  assert.deepEqual(
    blurred.issues.map((i) => i.kind),
    ["blurred"],
  );
  assert.match(blurred.issues[0]?.message ?? "", /^face blurred \(sharpness 0\.\d+, needs more than 0\.25\)$/);
});

test("the same face shrunk to about 30 px is refused as too small (its worst issue), 60 px only scores lower", async () => {
  const original = await qualityOf(frontal);
  const scale = (px: number) => (s: Sharp) => s.resize(Math.round((250 * px) / original.sizePixels));
  const smaller = await qualityOf(frontal, scale(60));
  const tiny = await qualityOf(frontal, scale(30));
  assert.ok(smaller.sizePixels < 70 && tiny.sizePixels < 36, `${smaller.sizePixels} ${tiny.sizePixels}`);
  assert.ok(smaller.score > 0 && smaller.score < original.score, `${smaller.score} < ${original.score}`);
  assert.equal(tiny.score, 0);
  assert.equal(tiny.issues[0]?.kind, "too-small");
  assert.match(tiny.issues[0]?.message ?? "", /^face too small \(\d+ px, needs 40\)$/);
});

test("pose from the landmarks: a face turned a little, mirrored, has its yaw of the other sign and the same pitch", async () => {
  const turned = join(sharedDir, "data", "lfw_dev", "images", "Akbar_Hashemi_Rafsanjani", "Akbar_Hashemi_Rafsanjani_0001.jpg");
  const original = await qualityOf(turned);
  const mirrored = await qualityOf(turned, (s) => s.flop());
  assert.ok(original.pose.yaw > 0.1 && original.factors.pose < 1, `yaw ${original.pose.yaw}`);
  assert.ok(Math.abs(mirrored.pose.yaw + original.pose.yaw) < 0.03, `${mirrored.pose.yaw} vs ${original.pose.yaw}`);
  assert.ok(Math.abs(mirrored.pose.pitch - original.pose.pitch) < 0.03);
});

test("an LFW face turned far to the side is refused as turned, with its yaw", async () => {
  const q = await qualityOf(join(sharedDir, "data", "lfw_dev", "images", "James_McGreevey", "James_McGreevey_0002.jpg"));
  assert.ok(Math.abs(q.pose.yaw) > 0.5, `yaw ${q.pose.yaw}`);
  assert.equal(q.score, 0);
  assert.deepEqual(
    q.issues.map((i) => i.kind),
    ["turned"],
  );
  assert.match(q.issues[0]?.message ?? "", /^face turned \(sideways: nose 0\.\d\d eye distances off centre, limit 0\.5\)$/);
});

test("landmarks of a face in profile (nose beside an eye) or looking far down are refused as turned, naming the direction", () => {
  const frontalFace = original();
  const profile = original();
  profile.landmarks[2] = { x: 66, y: 60 };
  const down = original();
  down.landmarks[2] = { x: 50, y: 79 };
  const pose = facePose(frontalFace.landmarks);
  assert.ok(Math.abs(pose.yaw) < 0.01 && Math.abs(pose.pitch - 0.5) < 0.01, JSON.stringify(pose));
  assert.ok(Math.abs(facePose(profile.landmarks).yaw - 0.533) < 0.01);
  const image = { data: new Uint8Array(100 * 100 * 3).fill(128), width: 100, height: 100 };
  const sideways = faceQuality(image, profile);
  assert.ok(
    sideways.issues.some((i) => i.kind === "turned" && /sideways: nose 0\.53 eye distances off centre, limit 0\.5/.test(i.message)),
  );
  const looking = faceQuality(image, down);
  assert.ok(
    looking.issues.some((i) => i.kind === "turned" && /down: nose at 0\.9\d of eyes-to-mouth/.test(i.message)),
    JSON.stringify(looking.issues),
  );
  // A flat grey picture has no detail at all: blurred as well.
  assert.ok(sideways.issues.some((i) => i.kind === "blurred"));
});

/** Landmarks of an upright frontal face of 60 px: eyes 30 px apart, nose half-way to the mouth. */
function original(): DetectedFace {
  return {
    box: { x: 20, y: 20, width: 60, height: 60 },
    score: 0.95,
    landmarks: [
      { x: 35, y: 40 },
      { x: 65, y: 40 },
      { x: 50, y: 60 },
      { x: 38, y: 80 },
      { x: 62, y: 80 },
    ],
  };
}
