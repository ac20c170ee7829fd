// The SFace rewrite (models/export/optimize_sface.py) must give the official file's embeddings on real faces, and
// its int8 quantization must stay close to it. Models come from `npm run models:build` (bash models/build.sh);
// faces are LFW pictures from the shared data folder (FACEFLEET_SHARED), detected by YuNet and aligned on SFace's template like the pipeline does.
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import * as ort from "onnxruntime-node";
import { getDetector, getRecognizer } from "../../models/manifest.js";
import { openModelSession } from "../../models/model-session.js";
import { locateVerifiedModel } from "../../models/verify-file.js";
import { alignFace } from "../../recognition/align.js";
import { decodeImage } from "../../recognition/decode.js";
import { createFaceDetector } from "../../recognition/face-detector.js";
import type { RgbImage } from "../../recognition/image.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { sharedDir, testModelDirs } from "../../testing/paths.js";

const lfwDir = path.join(sharedDir, "data", "lfw_dev", "images");
const CHIPS = 8;
// Measured here: max |optimized - official| ~2e-6 on raw outputs of norm ~5 (BatchNorm folded into the convs changes
// the float rounding), cosine 1 - 1e-12; int8 cosine to fp32 >= 0.99 (see models/export/README.md).
const MAX_ABS_DIFF = 1e-4;
const MIN_COSINE_FP32 = 0.9999;
const MIN_COSINE_INT8 = 0.98;

/** Files under dir (recursive), sorted, `count` of them evenly spaced: a deterministic spread over LFW. */
function pickImages(dir: string, count: number): string[] {
  const all = (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".jpg"))
    .map((f) => path.join(dir, f))
    .sort();
  assert.ok(all.length >= count, `expected at least ${count} images in ${dir}`);
  return Array.from({ length: count }, (_, i) => all[Math.floor((i * all.length) / count)] as string);
}

/** The face nearest the centre of each LFW picture, aligned on SFace's 112x112 template. */
async function sfaceChips(files: string[]): Promise<RgbImage[]> {
  const detectorSession = await openModelSession(getDetector("yunet-2023mar-dynamic"), {
    dirs: testModelDirs,
    executionProvider: "cpu",
    threads: 1,
  });
  const detector = createFaceDetector(detectorSession, { maxSide: 640, scoreThreshold: 0.3, nmsThreshold: 0.3, topK: 5000 });
  const spec = getRecognizer("sface-2021dec").alignment;
  const chips: RgbImage[] = [];
  for (const file of files) {
    const image = await decodeImage(file);
    const centre = (f: { box: { x: number; y: number; width: number; height: number } }) =>
      Math.hypot(f.box.x + f.box.width / 2 - image.width / 2, f.box.y + f.box.height / 2 - image.height / 2);
    const face = (await detector.detect(image)).sort((a, b) => centre(a) - centre(b))[0];
    assert.ok(face, `${path.basename(file)}: no face found`);
    chips.push(alignFace(image, face.landmarks, spec));
  }
  await detectorSession.session.release();
  return chips;
}

function toNchw(chips: RgbImage[]): ort.Tensor {
  const plane = 112 * 112;
  const out = new Float32Array(chips.length * 3 * plane);
  chips.forEach((chip, n) => {
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[n * 3 * plane + c * plane + i] = chip.data[i * 3 + c] as number;
  });
  return new ort.Tensor("float32", out, [chips.length, 3, 112, 112]);
}

/** Raw fc1 outputs (not normalised), one run per chip or one batched run. */
async function embed(modelId: string, chips: RgbImage[], batched: boolean): Promise<Float32Array[]> {
  const file = await locateVerifiedModel(getRecognizer(modelId), testModelDirs);
  const session = await ort.InferenceSession.create(file, { intraOpNumThreads: 1, graphOptimizationLevel: "all" });
  try {
    const groups = batched ? [chips] : chips.map((c) => [c]);
    const out: Float32Array[] = [];
    for (const group of groups) {
      const result = await session.run({ data: toNchw(group) });
      const fc1 = result.fc1;
      assert.ok(fc1, `${modelId} has no output named 'fc1'`);
      assert.deepEqual(fc1.dims, [group.length, 128]);
      const data = fc1.data as Float32Array;
      for (let n = 0; n < group.length; n++) out.push(data.slice(n * 128, (n + 1) * 128));
    }
    return out;
  } finally {
    await session.release();
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += (a[i] as number) * (b[i] as number);
    na += (a[i] as number) ** 2;
    nb += (b[i] as number) ** 2;
  }
  return dot / Math.sqrt(na * nb);
}

const maxAbsDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - (b[i] as number))), 0);

test("the optimized SFace gives the official file's embeddings on LFW faces; its int8 stays close", async (t) => {
  const files = pickImages(lfwDir, CHIPS);
  const chips = await sfaceChips(files);
  const official = await embed("sface-2021dec", chips, false);
  const optimized = await embed("sface-2021dec-opt", chips, true);
  const int8 = await embed("sface-2021dec-opt-int8", chips, true);
  files.forEach((file, n) => {
    const ref = official[n] as Float32Array;
    const opt = optimized[n] as Float32Array;
    const q = int8[n] as Float32Array;
    const name = path.basename(file);
    const diff = maxAbsDiff(ref, opt);
    const cos = cosine(ref, opt);
    const cosQ = cosine(opt, q);
    t.diagnostic(`${name}: max|opt-official|=${diff.toExponential(2)} cos=${cos.toFixed(10)} cos(int8,fp32)=${cosQ.toFixed(5)}`);
    assert.ok(diff <= MAX_ABS_DIFF, `${name}: max |optimized - official| = ${diff} > ${MAX_ABS_DIFF}`);
    assert.ok(cos >= MIN_COSINE_FP32, `${name}: cosine(optimized, official) = ${cos} < ${MIN_COSINE_FP32}`);
    assert.ok(cosQ >= MIN_COSINE_INT8, `${name}: cosine(int8, fp32) = ${cosQ} < ${MIN_COSINE_INT8}`);
  });
  // Different people must not collapse onto one embedding (guards against a constant output).
  assert.ok(cosine(optimized[0] as Float32Array, optimized[CHIPS - 1] as Float32Array) < 0.9);
});

test("the optimized SFace loads through the pipeline as a recognizer and batches like single runs", async () => {
  const pipeline = await RecognitionPipeline.load({
    recognizer: "sface-2021dec-opt",
    precision: "fp32",
    executionProvider: "cpu",
    threads: 1,
    modelDirs: testModelDirs,
  });
  assert.equal(pipeline.recognizer.family, "sface-2021dec");
  const chips = await sfaceChips(pickImages(lfwDir, 3));
  const batched = await pipeline.embedder.embed(chips);
  for (let n = 0; n < chips.length; n++) {
    const [single] = await pipeline.embedder.embed([chips[n] as RgbImage]);
    assert.ok(single && maxAbsDiff(single, batched[n] as Float32Array) < 1e-5);
  }
});
