/**
 * The plausibility check (recognition/face-plausibility.ts) on real pictures: the no-face set from PyPI wheels
 * (test/fixtures/noface-set, fetched by scripts/setup.sh --tests) gives no face, and no real face of LFW dev,
 * face_recognition's pictures or the Hamilton clip is lost. bench/results/face-plausibility.md has the figures.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, test } from "node:test";
import sharp from "sharp";
import { decodeImage } from "../../recognition/decode.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { recognitionSettingsSchema } from "../../recognition/recognition-settings.js";
import { squareCrop } from "../../recognition/square-crop.js";
import { nofacePictures } from "../../testing/noface-set.js";
import { exampleImage, examplesDir, sharedDir, useTestModels } from "../../testing/paths.js";

/** LFW dev's gallery and probe pictures (the first column of both lists). */
function lfwPictures(): string[] {
  const lfw = join(sharedDir, "data", "lfw_dev");
  return ["gallery.tsv", "probes.tsv"].flatMap((list) =>
    readFileSync(join(lfw, list), "utf8")
      .trim()
      .split("\n")
      .slice(1)
      .map((line) => join(lfw, line.split("\t")[0] as string)),
  );
}

/** JPEG frames of a video at `fps`, as a camera sends them. */
function videoFrames(video: string, fps: number): Buffer[] {
  const dir = mkdtempSync(join(tmpdir(), "facefleet-plausibility-"));
  try {
    execFileSync("ffmpeg", ["-loglevel", "error", "-i", video, "-vf", `fps=${fps}`, "-q:v", "3", join(dir, "%05d.jpg")]);
    return readdirSync(dir)
      .sort()
      .map((f) => readFileSync(join(dir, f)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const options = { executionProvider: "cpu", precision: "fp32", threads: 1 } as const;
let checked: RecognitionPipeline;
let unchecked: RecognitionPipeline;

before(async () => {
  useTestModels();
  checked = await RecognitionPipeline.load(options);
  unchecked = await RecognitionPipeline.load({ ...options, plausibilityCheck: false });
});

test("the check is on by default and its minimum score is validated by name", () => {
  const settings = recognitionSettingsSchema.parse({});
  assert.equal(settings.plausibilityCheck, true);
  assert.equal(settings.plausibilityMinScore, 0.2);
  const bad = recognitionSettingsSchema.safeParse({ plausibilityMinScore: 1.5 });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ["plausibilityMinScore"]);
});

test("squareCrop: the mirrored square is the plain one flipped; outside the picture is black", () => {
  const width = 40;
  const height = 30;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    data[i * 3] = (i % width) * 6; // red grows to the right
    data[i * 3 + 1] = Math.floor(i / width) * 8; // green grows downwards
    data[i * 3 + 2] = 77;
  }
  const image = { data, width, height };
  const plain = squareCrop(image, { x: 20, y: 15 }, 20, 20);
  const mirrored = squareCrop(image, { x: 20, y: 15 }, 20, 20, true);
  for (let y = 0; y < 20; y++)
    for (let x = 0; x < 20; x++)
      for (let c = 0; c < 3; c++) assert.equal(mirrored.data[(y * 20 + x) * 3 + c], plain.data[(y * 20 + 19 - x) * 3 + c]);
  assert.equal(plain.data[(10 * 20 + 10) * 3], data[(15 * width + 20) * 3], "1:1 crop is the picture itself");
  const corner = squareCrop(image, { x: 0, y: 0 }, 20, 20);
  assert.deepEqual(Array.from(corner.data.subarray(0, 3)), [0, 0, 0], "the part outside the picture is black");
  assert.equal(corner.data[(15 * 20 + 15) * 3 + 2], 77, "the part inside is the picture");
});

test("the no-face set (24 PyPI pictures) gives no face with the check; without it nuclear.png has one, now counted as rejected", async () => {
  const pictures = nofacePictures();
  assert.equal(pictures.length, 24);
  for (const picture of pictures) {
    const analysis = await checked.analyse(picture.path);
    assert.equal(analysis.faces.length, 0, `${picture.name}: ${analysis.faces.length} faces`);
  }
  const nuclear = pictures.find((p) => p.name === "nuclear.png")?.path as string;
  assert.equal((await unchecked.analyse(nuclear)).faces.length, 1, "YuNet at 0.7 finds a 'face' among the nuclei");
  const before = checked.rejectedTotal;
  const analysis = await checked.analyse(nuclear);
  assert.equal(analysis.rejected.length, 1);
  assert.ok((analysis.rejected[0]?.plausibility ?? 1) < 0.2, "its re-detection score is below the minimum");
  assert.equal(checked.rejectedTotal, before + 1);
});

test("at detector score 0.5 the check leaves 1 of the no-face set's 8 detections (the motorcycle's headlight)", async () => {
  const low = { ...options, detectScoreThreshold: 0.5 };
  const [on, off] = [await RecognitionPipeline.load(low), await RecognitionPipeline.load({ ...low, plausibilityCheck: false })];
  let withCheck = 0;
  let without = 0;
  for (const picture of nofacePictures()) {
    withCheck += (await on.analyse(picture.path)).faces.length;
    without += (await off.analyse(picture.path)).faces.length;
  }
  assert.ok(without >= 6, `without the check: ${without} detections`);
  assert.ok(withCheck <= 1, `with the check: ${withCheck} detections`);
});

test("face_recognition's pictures and the Hamilton clip at 2 fps: every detection is kept", async () => {
  const pictures = [
    ...readdirSync(join(examplesDir, "examples"))
      .filter((f) => /\.(jpe?g|png)$/.test(f))
      .map((f) => exampleImage(f)),
    ...readdirSync(join(examplesDir, "examples", "knn_examples", "test")).map((f) =>
      join(examplesDir, "examples", "knn_examples", "test", f),
    ),
    ...readdirSync(join(examplesDir, "tests", "test_images")).map((f) => join(examplesDir, "tests", "test_images", f)),
  ];
  let faces = 0;
  for (const path of pictures) {
    const [a, b] = [await checked.analyse(path), await unchecked.analyse(path)];
    assert.equal(a.faces.length, b.faces.length, `${path}: ${b.faces.length} detections, ${a.faces.length} kept`);
    assert.equal(a.rejected.length, 0, path);
    faces += a.faces.length;
  }
  assert.ok(faces >= pictures.length, `${faces} faces in ${pictures.length} pictures`);
  const two = await checked.analyse(exampleImage("two_people.jpg"));
  assert.equal(two.faces.length, 2);
  const frames = videoFrames(exampleImage("short_hamilton_clip.mp4"), 2);
  let clipFaces = 0;
  for (const frame of frames) {
    const [a, b] = [await checked.analyse(frame), await unchecked.analyse(frame)];
    assert.equal(a.faces.length, b.faces.length, "a clip frame lost a face");
    clipFaces += a.faces.length;
  }
  assert.ok(clipFaces >= frames.length, `${clipFaces} faces in ${frames.length} frames`);
});

test("LFW dev gallery + probes (2,912 pictures): no detection at score 0.7 is rejected", async () => {
  // The detector's own detections, then the check the pipeline runs on them (one YuNet pass per picture).
  const check = checked.plausibility;
  assert.ok(check);
  const rejected: string[] = [];
  let detections = 0;
  const pictures = lfwPictures();
  assert.equal(pictures.length, 2912);
  for (const path of pictures) {
    const image = await decodeImage(path);
    const found = await checked.detector.detect(image);
    detections += found.length;
    const { rejected: refused } = await check.split(image, found);
    for (const face of refused) rejected.push(`${path} (score ${face.score.toFixed(3)}, re-detected ${face.plausibility.toFixed(3)})`);
  }
  assert.ok(detections >= 2912, `${detections} detections`);
  assert.deepEqual(rejected, []);
});

test("a grey (infrared-like) and a mirrored copy of a real face are kept", async () => {
  const path = exampleImage("obama.jpg");
  for (const variant of [sharp(path).grayscale().toColourspace("srgb"), sharp(path).flop()]) {
    const analysis = await checked.analyse(await variant.jpeg().toBuffer());
    assert.equal(analysis.faces.length, 1);
    assert.equal(analysis.rejected.length, 0);
  }
});
