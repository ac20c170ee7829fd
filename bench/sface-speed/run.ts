/**
 * Recognizer speed, one thread, one face per run: the official SFace file, its rewrite for onnxruntime
 * (sface-2021dec-opt), the int8 of the rewrite, and the default dlib ResNet pair for comparison. All models load in
 * one process and run in interleaved rounds over the same LFW faces (YuNet-detected, aligned for each model), so
 * the machine's load hits them alike. Writes bench/results/sface-speed.json and sface-speed.md.
 *
 *   npm run build && node dist/bench/sface-speed/run.js [--rounds 5]
 */
import { parseArgs } from "node:util";
import { getDetector, getRecognizer } from "../../models/manifest.js";
import { modelDirs } from "../../models/model-dirs.js";
import { openModelSession } from "../../models/model-session.js";
import { alignFace } from "../../recognition/align.js";
import { writeFileAtomic } from "../../recognition/atomic-write.js";
import { decodeImage } from "../../recognition/decode.js";
import type { DetectedFace } from "../../recognition/face.js";
import { createFaceDetector } from "../../recognition/face-detector.js";
import { createFaceRecognizer } from "../../recognition/face-recognizer.js";
import type { RgbImage } from "../../recognition/image.js";
import { quantile, timeEmbeddings } from "../support/embed-timing.js";
import { machineDescription } from "../support/machine.js";
import { lfwGallery, useBenchModels } from "../support/shared-data.js";

useBenchModels();
const { values } = parseArgs({ options: { rounds: { type: "string", default: "5" }, faces: { type: "string", default: "8" } } });
const rounds = Number(values.rounds);
const faceCount = Number(values.faces);
const MODELS = ["sface-2021dec", "sface-2021dec-opt", "sface-2021dec-opt-int8", "face-api-resnet-v1", "face-api-resnet-v1-int8"];

const dirs = modelDirs();
const options = { dirs, executionProvider: "cpu" as const, threads: 1 };
const detector = createFaceDetector(await openModelSession(getDetector("yunet-2023mar-dynamic"), options), {
  maxSide: 640,
  scoreThreshold: 0.3,
  nmsThreshold: 0.3,
  topK: 5000,
});

// Evenly spaced LFW gallery pictures; the face nearest the centre of each.
const rows = lfwGallery();
const pictures: { image: RgbImage; face: DetectedFace }[] = [];
for (let i = 0; i < faceCount; i++) {
  const image = await decodeImage((rows[Math.floor((i * rows.length) / faceCount)] as { path: string }).path);
  const centre = (f: DetectedFace) =>
    Math.hypot(f.box.x + f.box.width / 2 - image.width / 2, f.box.y + f.box.height / 2 - image.height / 2);
  const face = (await detector.detect(image)).sort((a, b) => centre(a) - centre(b))[0];
  if (face) pictures.push({ image, face });
}

const embedders = await Promise.all(MODELS.map(async (id) => createFaceRecognizer(await openModelSession(getRecognizer(id), options))));
const chips = embedders.map((e) => pictures.map((p) => alignFace(p.image, p.face.landmarks, e.loaded.model.alignment)));
const { samples, loadBefore, loadAfter } = await timeEmbeddings(embedders, chips, rounds);

const results = MODELS.map((id, m) => {
  const xs = samples[m] as number[];
  const model = embedders[m]?.loaded.model;
  return {
    model: id,
    file: model?.file,
    precision: model?.precision,
    runs: xs.length,
    medianMs: Number(quantile(xs, 0.5).toFixed(2)),
    p10Ms: Number(quantile(xs, 0.1).toFixed(2)),
    minMs: Number(Math.min(...xs).toFixed(2)),
  };
});
const result = {
  generatedAt: new Date().toISOString(),
  command: `node dist/bench/sface-speed/run.js --rounds ${rounds} --faces ${faceCount}`,
  machine: machineDescription(),
  loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number(loadAfter.toFixed(2)) },
  faces: pictures.length,
  results,
};
await writeFileAtomic("bench/results/sface-speed.json", `${JSON.stringify(result, null, 2)}\n`);

const byId = new Map(results.map((r) => [r.model, r]));
const ratio = (a: string, b: string) => ((byId.get(a)?.medianMs ?? Number.NaN) / (byId.get(b)?.medianMs ?? Number.NaN)).toFixed(2);
const m = result.machine;
const lines = [
  "# Recognizer speed: official SFace, its rewrite, int8",
  "",
  `Generated ${result.generatedAt} by \`${result.command}\` on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), ${m.os}, Node ${m.node}, onnxruntime-node ${m.onnxruntime}.`,
  `One process, CPU provider, 1 intra-op thread, graph optimisation "all", one face per run (FaceRecognizer.embed: tensor fill + run + L2 norm), ${pictures.length} YuNet-aligned LFW faces x ${rounds} rounds per model after one warm-up round, models interleaved within each round. 1-minute load average ${result.loadAverage1m.before} before, ${result.loadAverage1m.after} after (the machine is shared: compare rows of one run, not runs).`,
  "",
  "| model | file | precision | runs | median ms/face | p10 ms/face | min ms/face |",
  "|---|---|---|---|---|---|---|",
  ...results.map((r) => `| ${r.model} | ${r.file} | ${r.precision} | ${r.runs} | ${r.medianMs} | ${r.p10Ms} | ${r.minMs} |`),
  "",
  `Median speed-up over the official file: optimized fp32 ${ratio("sface-2021dec", "sface-2021dec-opt")}x, int8 ${ratio("sface-2021dec", "sface-2021dec-opt-int8")}x; int8 over optimized fp32 ${ratio("sface-2021dec-opt", "sface-2021dec-opt-int8")}x.`,
  "",
];
await writeFileAtomic("bench/results/sface-speed.md", `${lines.join("\n")}\n`);
process.stdout.write(`${lines.join("\n")}\n`);
