// The ONNX rebuild of face-api's FaceRecognitionNet (models/export/export_face_api_recognizer.py) must give the
// same 128-d descriptors as face-api's own TF.js code on real faces, and its int8 variant must stay close to it.
// Models come from `npm run models:build` (bash models/build.sh); faces from the shared data folder's data/lfw_dev (FACEFLEET_SHARED).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import * as ort from "onnxruntime-node";
import sharp from "sharp";

const root = process.cwd();
const modelsDir = path.join(root, ".facefleet", "models");
const fp32Path = path.join(modelsDir, "face_api_resnet_v1.onnx");
const int8Path = path.join(modelsDir, "face_api_resnet_v1_int8.onnx");
const faceApiDir = path.join(root, "node_modules", "@vladmandic", "face-api");
const sharedDir = process.env.FACEFLEET_SHARED ?? path.join(root, "..", "shared");
const lfwDir = path.join(sharedDir, "data", "lfw_dev", "images");

const SIZE = 150;
const CROPS = 8;
// Tolerances (measured on this machine: max |diff| 3e-7 on descriptors of norm ~1.4, cosine 1 - 3e-13;
// int8 cosine >= 0.999). The fp32 bounds leave room for other CPUs' float summation order.
const MAX_ABS_DIFF = 1e-4;
const MIN_COSINE_FP32 = 0.9999;
const MIN_COSINE_INT8 = 0.995;

function requireFile(file: string, hint: string): void {
  assert.ok(existsSync(file), `${path.relative(root, file)} is missing: ${hint}`);
}

/** Files under dir (recursive), sorted, `count` of them evenly spaced: a deterministic spread over LFW. */
function pickImages(dir: string, count: number): string[] {
  const all = (readdirSync(dir, { recursive: true }) as string[])
    .filter((f) => f.endsWith(".jpg"))
    .map((f) => path.join(dir, f))
    .sort();
  assert.ok(all.length >= count, `expected at least ${count} images in ${dir}`);
  return Array.from({ length: count }, (_, i) => all[Math.floor((i * all.length) / count)] as string);
}

/**
 * 150x150 RGB chip, HWC uint8: the centre square of 0.45 x the short side (112 px of a 250x250 deep-funneled LFW
 * image, close to the framing of dlib's aligned chip) resized to 150. Same crop as quantize_int8.py.
 */
async function faceChip(file: string): Promise<Uint8Array> {
  const meta = await sharp(file).metadata();
  const w = meta.width ?? 0;
  const h = meta.height ?? 0;
  const side = Math.max(1, Math.round(0.45 * Math.min(w, h)));
  let img = sharp(file)
    .removeAlpha()
    .toColourspace("srgb")
    .extract({ left: Math.floor((w - side) / 2), top: Math.floor((h - side) / 2), width: side, height: side });
  if (side !== SIZE) img = img.resize(SIZE, SIZE, { kernel: "linear" });
  const { data, info } = await img.raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.channels, 3);
  assert.equal(data.length, SIZE * SIZE * 3);
  return new Uint8Array(data.buffer, data.byteOffset, data.length);
}

/** Batch of HWC RGB chips -> float32 NCHW, raw 0..255 (the ONNX graph normalises inside). */
function toNchw(chips: Uint8Array[]): ort.Tensor {
  const plane = SIZE * SIZE;
  const out = new Float32Array(chips.length * 3 * plane);
  chips.forEach((chip, n) => {
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) out[n * 3 * plane + c * plane + i] = chip[i * 3 + c] as number;
  });
  return new ort.Tensor("float32", out, [chips.length, 3, SIZE, SIZE]);
}

async function embed(modelPath: string, chips: Uint8Array[]): Promise<Float32Array[]> {
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1 });
  try {
    const result = await session.run({ input: toNchw(chips) });
    const out = result.embedding;
    assert.ok(out, "model has no output named 'embedding'");
    assert.deepEqual(out.dims, [chips.length, 128]);
    const data = out.data as Float32Array;
    return chips.map((_, n) => data.slice(n * 128, (n + 1) * 128));
  } finally {
    await session.release();
  }
}

/** Descriptors from face-api's own FaceRecognitionNet (TF.js CPU backend, pure JS). */
async function faceApiDescriptors(chips: Uint8Array[]): Promise<Float32Array[]> {
  // dist/face-api.esm.js bundles tfjs 4.22 (cpu/webgl/wasm backends) and needs no native tfjs-node. Its bundle has
  // Node's `util` stubbed out, so tfjs's Node platform class throws at import; announcing a worker scope for the
  // import makes tfjs pick its browser platform instead, which only needs fetch/TextEncoder/performance (all
  // global in Node 20). Images are passed as tensors, so face-api never touches canvas/DOM.
  const g = globalThis as { WorkerGlobalScope?: unknown };
  const had = "WorkerGlobalScope" in g;
  if (!had) g.WorkerGlobalScope = class {};
  const faceapi = await import("@vladmandic/face-api/dist/face-api.esm.js");
  if (!had) delete g.WorkerGlobalScope;
  const tf = faceapi.tf;
  // face-api's bundled typings of `tf` omit the engine functions; they are there at runtime.
  const engine = tf as unknown as { setBackend(name: string): Promise<boolean>; ready(): Promise<void> };
  assert.ok(await engine.setBackend("cpu"), "TF.js cpu backend did not initialise");
  await engine.ready();

  const modelDir = path.join(faceApiDir, "model");
  const manifest = JSON.parse(readFileSync(path.join(modelDir, "face_recognition_model-weights_manifest.json"), "utf8")) as Array<{
    paths: string[];
    weights: Parameters<typeof tf.io.decodeWeights>[1];
  }>;
  const group = manifest[0];
  assert.ok(group && manifest.length === 1);
  const bin = Buffer.concat(group.paths.map((p) => readFileSync(path.join(modelDir, p))));
  const weightMap = tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength), group.weights);
  const net = new faceapi.FaceRecognitionNet();
  net.loadFromWeightMap(weightMap);
  try {
    const out: Float32Array[] = [];
    for (const chip of chips) {
      const input = tf.tensor3d(Int32Array.from(chip), [SIZE, SIZE, 3], "int32");
      const d = await net.computeFaceDescriptor(input);
      input.dispose();
      assert.ok(d instanceof Float32Array && d.length === 128);
      out.push(d);
    }
    return out;
  } finally {
    net.dispose();
  }
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return dot / Math.sqrt(na * nb);
}

function norm(a: Float32Array): number {
  return Math.sqrt(a.reduce((s, x) => s + x * x, 0));
}

const hint = "run npm run models:build (bash models/build.sh)";

test("ONNX face_api_resnet_v1 matches face-api's TF.js FaceRecognitionNet; int8 stays close", async (t) => {
  requireFile(fp32Path, hint);
  requireFile(int8Path, hint);
  requireFile(path.join(faceApiDir, "dist", "face-api.esm.js"), "run npm ci");
  assert.ok(existsSync(lfwDir), `${lfwDir} is missing: set FACEFLEET_SHARED to the shared folder`);

  const files = pickImages(lfwDir, CROPS);
  const chips = await Promise.all(files.map(faceChip));
  const reference = await faceApiDescriptors(chips);
  const fp32 = await embed(fp32Path, chips);
  const int8 = await embed(int8Path, chips);

  let worstAbs = 0;
  let worstCos = 1;
  let worstInt8 = 1;
  files.forEach((file, n) => {
    const ref = reference[n] as Float32Array;
    const onnx = fp32[n] as Float32Array;
    const q = int8[n] as Float32Array;
    const name = path.basename(file);
    let maxAbs = 0;
    for (let i = 0; i < 128; i++) maxAbs = Math.max(maxAbs, Math.abs((ref[i] as number) - (onnx[i] as number)));
    const cos = cosine(ref, onnx);
    const cosQ = cosine(onnx, q);
    worstAbs = Math.max(worstAbs, maxAbs);
    worstCos = Math.min(worstCos, cos);
    worstInt8 = Math.min(worstInt8, cosQ);
    t.diagnostic(
      `${name}: |d|=${norm(onnx).toFixed(3)} max|onnx-tfjs|=${maxAbs.toExponential(2)} cos=${cos.toFixed(8)} cos(int8,fp32)=${cosQ.toFixed(5)}`,
    );
    assert.ok(maxAbs <= MAX_ABS_DIFF, `${name}: max |onnx - tfjs| = ${maxAbs} > ${MAX_ABS_DIFF}`);
    assert.ok(cos >= MIN_COSINE_FP32, `${name}: cosine(onnx, tfjs) = ${cos} < ${MIN_COSINE_FP32}`);
    assert.ok(cosQ >= MIN_COSINE_INT8, `${name}: cosine(int8, fp32) = ${cosQ} < ${MIN_COSINE_INT8}`);
  });
  t.diagnostic(`worst over ${files.length} LFW chips: max abs ${worstAbs.toExponential(2)}, cosine ${worstCos}, int8 cosine ${worstInt8}`);

  // The descriptors are not L2-normalised; dlib's ResNet puts real faces at a norm of about 1.2-1.6.
  for (const d of fp32) assert.ok(norm(d) > 0.8 && norm(d) < 2.5, `unexpected descriptor norm ${norm(d)}`);
  // Different people must not collapse onto one descriptor (guards against a constant output).
  assert.ok(cosine(fp32[0] as Float32Array, fp32[CROPS - 1] as Float32Array) < 0.99);
});

test("the ONNX recognizer takes a dynamic batch: batch of N equals N single runs", async () => {
  requireFile(fp32Path, hint);
  assert.ok(existsSync(lfwDir), `${lfwDir} is missing: set FACEFLEET_SHARED to the shared folder`);
  const chips = await Promise.all(pickImages(lfwDir, 3).map(faceChip));
  const batched = await embed(fp32Path, chips);
  for (let n = 0; n < chips.length; n++) {
    const [single] = await embed(fp32Path, [chips[n] as Uint8Array]);
    assert.ok(single);
    const b = batched[n] as Float32Array;
    for (let i = 0; i < 128; i++) assert.ok(Math.abs((single[i] as number) - (b[i] as number)) < 1e-5);
  }
});
