/**
 * The plausibility check once per face on a camera (recognition/plausibility-memory.ts, detect-stage.ts): on the
 * demo's clip as a camera sends it, the faces kept with the memory are those kept with every detection checked,
 * on clearly fewer checks; a detection the check refused is not remembered (nuclear.png of the no-face set,
 * sent as one camera's frames again and again, is refused every time); after `reuseFrames` frames a face is
 * checked again; without a source (a single picture) nothing is skipped.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import type { DetectedFace } from "../../recognition/face.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { PlausibilityMemory } from "../../recognition/plausibility-memory.js";
import { recognitionSettingsSchema } from "../../recognition/recognition-settings.js";
import { clipFrames, loadClipLabels } from "../../testing/hamilton-clip.js";
import { nofacePictures } from "../../testing/noface-set.js";
import { useTestModels } from "../../testing/paths.js";

const options = { executionProvider: "cpu", precision: "fp32", threads: 1 } as const;
let remembering: RecognitionPipeline;
let checkingAll: RecognitionPipeline;

before(async () => {
  useTestModels();
  remembering = await RecognitionPipeline.load(options);
  checkingAll = await RecognitionPipeline.load({ ...options, plausibilityReuseFrames: 0 });
});

const face = (x: number, y = 10, side = 40): DetectedFace => ({
  box: { x, y, width: side, height: side },
  score: 0.9,
  landmarks: [
    { x: x + 10, y: y + 10 },
    { x: x + 30, y: y + 10 },
    { x: x + 20, y: y + 20 },
    { x: x + 12, y: y + 30 },
    { x: x + 28, y: y + 30 },
  ],
});

test("the memory vouches for a face that follows a kept one of the same source's previous frame, reuseFrames times in a row", () => {
  const memory = new PlausibilityMemory(2);
  assert.deepEqual(memory.vouchedFor("door", [face(0)]), [-1], "a source seen for the first time: checked");
  memory.remember("door", [{ box: face(0).box, unchecked: 0 }]);
  assert.deepEqual(memory.vouchedFor("door", [face(2), face(200)]), [1, -1], "the same face moved 2 px: vouched; a new one: checked");
  assert.deepEqual(memory.vouchedFor("yard", [face(2)]), [-1], "another camera's face vouches for nothing here");
  assert.deepEqual(memory.vouchedFor(undefined, [face(2)]), [-1], "no source: checked");
  memory.remember("door", [{ box: face(2).box, unchecked: 1 }]);
  assert.deepEqual(memory.vouchedFor("door", [face(4)]), [2]);
  memory.remember("door", [{ box: face(4).box, unchecked: 2 }]);
  assert.deepEqual(memory.vouchedFor("door", [face(6)]), [-1], "after 2 frames unchecked: checked again");
  memory.remember("door", []);
  assert.deepEqual(memory.vouchedFor("door", [face(6)]), [-1], "missing for a frame: checked");
  const off = new PlausibilityMemory(0);
  off.remember("door", [{ box: face(0).box, unchecked: 0 }]);
  assert.deepEqual(off.vouchedFor("door", [face(0)]), [-1], "reuseFrames 0: every detection checked");
  const few = new PlausibilityMemory(5, 0.5, 2);
  for (const camera of ["a", "b", "c"]) few.remember(camera, [{ box: face(0).box, unchecked: 0 }]);
  assert.deepEqual(few.vouchedFor("a", [face(0)]), [-1], "the oldest of more sources than kept is forgotten");
  assert.deepEqual(few.vouchedFor("c", [face(0)]), [1]);
});

test("the demo clip as one camera's frames: the same faces as with every detection checked, on clearly fewer checks", async (t) => {
  const frames = clipFrames(loadClipLabels());
  let faces = 0;
  for (const bytes of frames) {
    const image = await remembering.decode(bytes);
    const [a, b] = [await remembering.detect(image, "hamilton"), await checkingAll.detect(image, "hamilton")];
    assert.deepEqual(a.faces, b.faces, "the kept faces and their order are the same");
    assert.deepEqual(a.rejected, b.rejected);
    faces += b.faces.length;
  }
  const skipped = remembering.detection.checksSkipped;
  assert.equal(checkingAll.detection.checksSkipped, 0, "plausibilityReuseFrames 0 skips nothing");
  t.diagnostic(`${frames.length} frames, ${faces} faces kept, ${skipped} checks skipped`);
  assert.ok(skipped >= faces * 0.5, `${skipped} of ${faces} checks skipped`);
});

test("a refused detection is not remembered: nuclear.png as one camera's frames is refused in every frame", async () => {
  const nuclear = nofacePictures().find((p) => p.name === "nuclear.png")?.path as string;
  const image = await remembering.decode(nuclear);
  const skippedBefore = remembering.detection.checksSkipped;
  for (let frame = 0; frame < 4; frame++) {
    const detected = await remembering.detect(image, "lab");
    assert.equal(detected.faces.length, 0, `frame ${frame}: the 'face' among the nuclei is kept`);
    assert.equal(detected.rejected.length, 1, `frame ${frame}: refused by the check`);
  }
  assert.equal(remembering.detection.checksSkipped, skippedBefore);
});

test("single pictures (no source) are always checked; the setting is validated by name", async () => {
  const frames = clipFrames(loadClipLabels());
  const image = await remembering.decode(frames[0] as Uint8Array);
  const before = remembering.detection.checksSkipped;
  for (let i = 0; i < 3; i++) await remembering.detect(image);
  assert.equal(remembering.detection.checksSkipped, before);
  assert.equal(recognitionSettingsSchema.parse({}).plausibilityReuseFrames, 10);
  const bad = recognitionSettingsSchema.safeParse({ plausibilityReuseFrames: -1 });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ["plausibilityReuseFrames"]);
});
