/**
 * MobileFaceNet (Human's TF.js model exported to ONNX, models/build-mobilefacenet.sh) beside SFace and the dlib
 * ResNet, in one process:
 *  1. equivalence: the ONNX file against the TF.js graph model it was exported from (tfjs cpu backend) on LFW faces
 *     detected by YuNet and aligned on the model's template (max |diff| per element, cosine);
 *  2. speed: ms per face, 1 intra-op thread, one face per run, models interleaved in each round (as
 *     bench/sface-speed/run.ts);
 *  3. LFW verification (bench/accuracy's protocol, 4 folds) of every model on the same detections; MobileFaceNet is
 *     also scored with its input channels swapped (BGR), to check which order the weights expect.
 * Writes bench/results/mobilefacenet.json and mobilefacenet.md; the md also quotes the open-set figures of
 * bench/results/accuracy-mobilefacenet.json when it exists (bench/accuracy/run.ts --recognizer, one run of its own).
 *
 *   npm run models:build:mobilefacenet && npm run build && node dist/bench/mobilefacenet/run.js [--rounds 5 --faces 8]
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { getDetector, getRecognizer } from "../../models/manifest.js";
import type { RecognizerModel } from "../../models/manifest-schema.js";
import { modelDirs } from "../../models/model-dirs.js";
import { openModelSession } from "../../models/model-session.js";
import { alignFace } from "../../recognition/align.js";
import { decodeImage } from "../../recognition/decode.js";
import type { DetectedFace } from "../../recognition/face.js";
import { createFaceDetector } from "../../recognition/face-detector.js";
import { createFaceRecognizer, type FaceRecognizer } from "../../recognition/face-recognizer.js";
import type { RgbImage } from "../../recognition/image.js";
import { crossValidatedVerification, type ScoredPair } from "../accuracy/verification.js";
import { quantile, timeEmbeddings } from "../support/embed-timing.js";
import { machineDescription } from "../support/machine.js";
import { lfwGallery, lfwPairs, useBenchModels } from "../support/shared-data.js";
import { loadTfjsMobileFaceNet } from "./tfjs-reference.js";

useBenchModels();
const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    faces: { type: "string", default: "8" },
    "tfjs-dir": { type: "string", default: join(".facefleet", "cache", "mobilefacenet") },
  },
});
const rounds = Number(values.rounds);
const faceCount = Number(values.faces);
const MFN = "mobilefacenet-human-3.0.4";
const MODELS = [MFN, "sface-2021dec-opt", "sface-2021dec-opt-int8", "face-api-resnet-v1", "face-api-resnet-v1-int8"];

const options = { dirs: modelDirs(), executionProvider: "cpu" as const, threads: 1 };
const detector = createFaceDetector(await openModelSession(getDetector("yunet-2023mar-dynamic"), options), {
  maxSide: 640,
  scoreThreshold: 0.3,
  nmsThreshold: 0.3,
  topK: 5000,
});
const centralFace = async (image: RgbImage): Promise<DetectedFace | undefined> => {
  const centre = (f: DetectedFace) =>
    Math.hypot(f.box.x + f.box.width / 2 - image.width / 2, f.box.y + f.box.height / 2 - image.height / 2);
  return (await detector.detect(image)).sort((a, b) => centre(a) - centre(b))[0];
};
const embedders = await Promise.all(MODELS.map(async (id) => createFaceRecognizer(await openModelSession(getRecognizer(id), options))));
const mfn = embedders[0] as FaceRecognizer;
const mfnModel = getRecognizer(MFN);
const mfnBgr = createFaceRecognizer(
  await openModelSession({ ...mfnModel, input: { ...mfnModel.input, channels: "BGR" } } as RecognizerModel & { id: string }, options),
);

// ---- 1 + 2: evenly spaced LFW gallery pictures, the face nearest the centre of each ----
const rows = lfwGallery();
const pictures: { image: RgbImage; face: DetectedFace }[] = [];
for (let i = 0; i < faceCount; i++) {
  const image = await decodeImage((rows[Math.floor((i * rows.length) / faceCount)] as { path: string }).path);
  const face = await centralFace(image);
  if (face) pictures.push({ image, face });
}
const chips = embedders.map((e) => pictures.map((p) => alignFace(p.image, p.face.landmarks, e.loaded.model.alignment)));
const mfnChips = chips[0] as RgbImage[];

const tfjs = await loadTfjsMobileFaceNet(values["tfjs-dir"] as string);
const reference = await tfjs.embed(mfnChips.map((c) => c.data));
const plane = 112 * 112;
const onnxRaw: Float32Array[] = [];
for (const chip of mfnChips) {
  const x = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) x[c * plane + i] = chip.data[i * 3 + c] as number;
  const out = await mfn.loaded.session.run({ input: new ort.Tensor("float32", x, [1, 3, 112, 112]) });
  onnxRaw.push(Float32Array.from((out.embedding as ort.Tensor).data as Float32Array));
}
const dot = (a: Float32Array, b: Float32Array) => a.reduce((s, v, k) => s + v * (b[k] as number), 0);
const equivalence = onnxRaw.map((o, n) => {
  const r = reference[n] as Float32Array;
  let maxAbs = 0;
  for (let k = 0; k < o.length; k++) maxAbs = Math.max(maxAbs, Math.abs((o[k] as number) - (r[k] as number)));
  return { maxAbsDiff: maxAbs, cosine: dot(o, r) / Math.sqrt(dot(o, o) * dot(r, r)), onnxNorm: Math.sqrt(dot(o, o)) };
});

const { samples, loadBefore, loadAfter } = await timeEmbeddings(embedders, chips, rounds);
const speed = MODELS.map((id, m) => {
  const xs = samples[m] as number[];
  return {
    model: id,
    precision: embedders[m]?.loaded.model.precision,
    runs: xs.length,
    medianMs: Number(quantile(xs, 0.5).toFixed(2)),
    p10Ms: Number(quantile(xs, 0.1).toFixed(2)),
  };
});

// ---- 3: LFW verification ----
const verifiers = [...embedders, mfnBgr];
const labels = [...MODELS, `${MFN} (channels swapped: BGR)`];
const pairs = lfwPairs();
const lfwPictures = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort();
const embeddings = new Map<string, Float32Array[]>();
let noFace = 0;
for (const [i, path] of lfwPictures.entries()) {
  const image = await decodeImage(path);
  const face = await centralFace(image);
  if (!face) noFace++;
  else {
    const vectors: Float32Array[] = [];
    for (const e of verifiers) vectors.push(...(await e.embed([alignFace(image, face.landmarks, e.loaded.model.alignment)])));
    embeddings.set(path, vectors);
  }
  if ((i + 1) % 500 === 0 || i + 1 === lfwPictures.length) process.stderr.write(`LFW pictures: ${i + 1}/${lfwPictures.length}\n`);
}
const verification = labels.map((label, m) => {
  // A pair with a picture where no face was found counts as answered "different" (distance 2), as in bench/accuracy.
  const scored: ScoredPair[] = pairs.map((p) => {
    const a = embeddings.get(p.a)?.[m];
    const b = embeddings.get(p.b)?.[m];
    return { distance: a && b ? 1 - dot(a, b) : 2, same: p.same, fold: p.fold };
  });
  const v = crossValidatedVerification(scored);
  return { recognizer: label, mean: Number(v.mean.toFixed(4)), std: Number(v.std.toFixed(4)), perFold: v.perFold };
});

const result = {
  generatedAt: new Date().toISOString(),
  command: `node dist/bench/mobilefacenet/run.js --rounds ${rounds} --faces ${faceCount}`,
  machine: machineDescription(),
  loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number(loadAfter.toFixed(2)) },
  model: { id: MFN, file: mfnModel.file, sha256: mfnModel.sha256 },
  equivalence: {
    faces: equivalence.length,
    maxAbsDiff: Math.max(...equivalence.map((e) => e.maxAbsDiff)),
    minCosine: Math.min(...equivalence.map((e) => e.cosine)),
    perFace: equivalence,
  },
  speed,
  lfwVerification: { pairs: pairs.length, pictures: lfwPictures.length, picturesWithoutFace: noFace, results: verification },
};
await writeFileAtomic("bench/results/mobilefacenet.json", `${JSON.stringify(result, null, 2)}\n`);

const byId = new Map(speed.map((r) => [r.model, r.medianMs]));
const ratio = (a: string) => ((byId.get(a) ?? Number.NaN) / (byId.get(MFN) ?? Number.NaN)).toFixed(2);
const mc = result.machine;
const pct = (x: number) => `${(100 * x).toFixed(2)} %`;
const lines = [
  "# MobileFaceNet (Human's TF.js model, exported to ONNX) beside SFace and the dlib ResNet",
  "",
  `Generated ${result.generatedAt} by \`${result.command}\` on ${mc.cpu} (${mc.cores} cores), Node ${mc.node}, onnxruntime-node ${mc.onnxruntime}. 1-minute load average ${result.loadAverage1m.before} before the speed rounds, ${result.loadAverage1m.after} after (shared machine: compare rows of this run).`,
  "",
  `## ONNX vs TF.js (${result.equivalence.faces} YuNet-aligned LFW faces)`,
  "",
  `\`${mfnModel.file}\` (sha256 ${mfnModel.sha256.slice(0, 12)}…) against the TF.js graph model it was exported from (tfjs 4.22 cpu backend, same chips, (x - 127.5) / 128 NHWC): max |ONNX - TF.js| per element **${result.equivalence.maxAbsDiff.toExponential(1)}** on unit-norm embeddings, min cosine **1 - ${(1 - result.equivalence.minCosine).toExponential(1)}**.`,
  "",
  "## Speed, 1 thread, one face per run",
  "",
  `${pictures.length} faces x ${rounds} rounds per model after a warm-up round, models interleaved (FaceRecognizer.embed: tensor fill + run + L2 norm).`,
  "",
  "| model | precision | runs | median ms/face | p10 ms/face | median / MobileFaceNet's |",
  "|---|---|---|---|---|---|",
  ...speed.map((r) => `| ${r.model} | ${r.precision} | ${r.runs} | ${r.medianMs} | ${r.p10Ms} | ${ratio(r.model)}x |`),
  "",
  "## LFW verification",
  "",
  `${pairs.length} pairs of ../shared/data/lfw_dev (4 folds), ${lfwPictures.length} pictures, ${noFace} without a face (their pairs count as "different"). Each picture detected once (fp32 YuNet, score >= 0.3, face nearest the centre), aligned on each recognizer's template; cosine distance; threshold chosen on the other 3 folds (bench/accuracy/verification.ts).`,
  "",
  "| recognizer | 4-fold accuracy | std | per fold (threshold) |",
  "|---|---|---|---|",
  ...verification.map(
    (r) =>
      `| ${r.recognizer} | ${pct(r.mean)} | ${(100 * r.std).toFixed(2)} | ${r.perFold.map((f) => `${(100 * f.accuracy).toFixed(1)} (${f.threshold.toFixed(3)})`).join(", ")} |`,
  ),
  "",
];
type AccuracyRun = {
  command: string;
  generatedAt: string;
  results: {
    models: { role: string; model: string }[];
    thresholds: { cosineDistance: number };
    knn: { distance: { top1: number } };
    lfwVerification: { accuracy: number };
    lfwIdentification: { distance: { top1: number; unknownRejection: number } };
  }[];
};
const accuracyFile = "bench/results/accuracy-mobilefacenet.json";
if (existsSync(accuracyFile)) {
  const run = JSON.parse(readFileSync(accuracyFile, "utf8")) as AccuracyRun;
  lines.push(
    "## Open-set identification (bench/accuracy)",
    "",
    `From \`${accuracyFile}\` (\`${run.command}\`, ${run.generatedAt}): LFW dev gallery enrolled, probes identified (unenrolled ones must be Unknown), nearest-neighbour cosine distance at the threshold with the best open-set accuracy on these probes (swept 0.01–1); knn = face_recognition's knn example.`,
    "",
    "| recognizer | LFW verification | open-set named | strangers rejected | threshold | knn top-1 |",
    "|---|---|---|---|---|---|",
    ...run.results.map(
      (r) =>
        `| ${r.models.find((m) => m.role === "recognizer")?.model} | ${pct(r.lfwVerification.accuracy)} | ${pct(r.lfwIdentification.distance.top1)} | ${pct(r.lfwIdentification.distance.unknownRejection)} | ${r.thresholds.cosineDistance} | ${pct(r.knn.distance.top1)} |`,
    ),
    "",
    "MobileFaceNet's cosine distances are all ~1e-4, below the sweep's first step: every probe is named (wrongly, mostly), so its open-set figures only say that it does not separate faces.",
    "",
  );
}
await writeFileAtomic("bench/results/mobilefacenet.md", `${lines.join("\n")}\n`);
process.stdout.write(`${lines.join("\n")}\n`);
