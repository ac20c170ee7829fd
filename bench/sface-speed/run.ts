/**
 * Recognizer speed, one thread, one face per run: the official SFace file, its rewrite for onnxruntime
 * (sface-2021dec-opt), the int8 of the rewrite, and the default dlib ResNet pair for comparison. All models load in
 * one process and run in interleaved rounds over the same LFW faces (YuNet-detected, aligned for each model), so
 * the machine's load hits them alike. Writes bench/results/sface-speed.json and sface-speed.md.
 * `--candidate FILE` (repeatable) times ONNX files that are not in the manifest (int8 recipes being tried) in the same
 * rounds, loaded like the int8 SFace (same alignment, same session options), and writes the results to
 * bench/results/sface-speed-candidates.json and .md instead, leaving the reference results alone.
 *
 *   npm run build && node dist/bench/sface-speed/run.js [--rounds 5] [--candidate FILE ...]
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { getDetector, getRecognizer } from "../../models/manifest.js";
import { modelDirs } from "../../models/model-dirs.js";
import { openModelSession } from "../../models/model-session.js";
import { alignFace } from "../../recognition/align.js";
import { decodeImage } from "../../recognition/decode.js";
import type { DetectedFace } from "../../recognition/face.js";
import { createFaceDetector } from "../../recognition/face-detector.js";
import { createFaceRecognizer } from "../../recognition/face-recognizer.js";
import type { RgbImage } from "../../recognition/image.js";
import { quantile, timeEmbeddings } from "../support/embed-timing.js";
import { machineDescription } from "../support/machine.js";
import { lfwGallery, useBenchModels } from "../support/shared-data.js";
import { candidateEmbedder } from "./candidate-embedder.js";

useBenchModels();
const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "5" },
    faces: { type: "string", default: "8" },
    candidate: { type: "string", multiple: true, default: [] },
  },
});
const TRIED_HEADING = "## Tried, not adopted";
const rounds = Number(values.rounds);
const faceCount = Number(values.faces);
const candidates = (values.candidate as string[]).map((f) => resolve(f));
const REFERENCE_MODELS = ["sface-2021dec", "sface-2021dec-opt", "sface-2021dec-opt-int8", "face-api-resnet-v1", "face-api-resnet-v1-int8"];
// With candidates: the fp32 rewrite and today's int8 beside them (the official file and dlib add nothing to the choice).
const MODELS = candidates.length ? ["sface-2021dec-opt", "sface-2021dec-opt-int8"] : REFERENCE_MODELS;

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

const embedders = [
  ...(await Promise.all(MODELS.map(async (id) => createFaceRecognizer(await openModelSession(getRecognizer(id), options))))),
  ...(await Promise.all(candidates.map((c) => candidateEmbedder(c, options)))),
];
const ids = embedders.map((e) => e.modelId);
const chips = embedders.map((e) => pictures.map((p) => alignFace(p.image, p.face.landmarks, e.loaded.model.alignment)));
const { samples, cpuSamples, loadBefore, loadAfter } = await timeEmbeddings(embedders, chips, rounds);

const results = ids.map((id, m) => {
  const xs = samples[m] as number[];
  const cpu = cpuSamples[m] as number[];
  const model = embedders[m]?.loaded.model;
  return {
    model: id,
    file: model?.file,
    precision: model?.precision,
    runs: xs.length,
    medianMs: Number(quantile(xs, 0.5).toFixed(2)),
    p10Ms: Number(quantile(xs, 0.1).toFixed(2)),
    minMs: Number(Math.min(...xs).toFixed(2)),
    medianCpuMs: Number(quantile(cpu, 0.5).toFixed(2)),
  };
});
const result = {
  generatedAt: new Date().toISOString(),
  command: `node dist/bench/sface-speed/run.js --rounds ${rounds} --faces ${faceCount}${candidates.map((c) => ` --candidate ${c}`).join("")}`,
  machine: machineDescription(),
  loadAverage1m: { before: Number(loadBefore.toFixed(2)), after: Number(loadAfter.toFixed(2)) },
  faces: pictures.length,
  results,
};
const out = candidates.length ? "bench/results/sface-speed-candidates" : "bench/results/sface-speed";
await writeFileAtomic(`${out}.json`, `${JSON.stringify(result, null, 2)}\n`);

const byId = new Map(results.map((r) => [r.model, r]));
const ratio = (a: string, b: string) => ((byId.get(a)?.medianMs ?? Number.NaN) / (byId.get(b)?.medianMs ?? Number.NaN)).toFixed(2);
const m = result.machine;
const int8 = byId.get("sface-2021dec-opt-int8");
const lines = [
  candidates.length ? "# int8 SFace candidates against today's int8 file" : "# Recognizer speed: official SFace, its rewrite, int8",
  "",
  `Generated ${result.generatedAt} by \`${result.command}\` on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), ${m.os}, Node ${m.node}, onnxruntime-node ${m.onnxruntime}.`,
  `One process, CPU provider, 1 intra-op thread, graph optimisation "all", one face per run (FaceRecognizer.embed: tensor fill + run + L2 norm), ${pictures.length} YuNet-aligned LFW faces x ${rounds} rounds per model after one warm-up round, models interleaved within each round. 1-minute load average ${result.loadAverage1m.before} before, ${result.loadAverage1m.after} after (the machine is shared: compare rows of one run, not runs). "int8" in the ratio columns is sface-2021dec-opt-int8. CPU ms: the process's user + system time over the run (one intra-op thread: the run's own work; other processes stretch it far less than the wall clock, so on a loaded machine compare the CPU columns).`,
  "",
  "| model | file | precision | runs | median ms/face | p10 ms/face | min ms/face | median / int8 | median CPU ms/face | CPU / int8 |",
  "|---|---|---|---|---|---|---|---|---|---|",
  ...results.map(
    (r) =>
      `| ${r.model} | ${r.file} | ${r.precision} | ${r.runs} | ${r.medianMs} | ${r.p10Ms} | ${r.minMs} | ${(r.medianMs / (int8?.medianMs ?? Number.NaN)).toFixed(3)} | ${r.medianCpuMs} | ${(r.medianCpuMs / (int8?.medianCpuMs ?? Number.NaN)).toFixed(3)} |`,
  ),
  "",
  candidates.length
    ? "Candidates are loaded like sface-2021dec-opt-int8 (same alignment and session options); their sha256 is not checked against the manifest."
    : `Median speed-up over the official file: optimized fp32 ${ratio("sface-2021dec", "sface-2021dec-opt")}x, int8 ${ratio("sface-2021dec", "sface-2021dec-opt-int8")}x; int8 over optimized fp32 ${ratio("sface-2021dec-opt", "sface-2021dec-opt-int8")}x.`,
  "",
];
// The hand-written record of recipes tried (from "## Tried, not adopted" on) survives a rerun of the reference table.
const previous = candidates.length ? "" : await readFile(`${out}.md`, "utf8").catch(() => "");
const kept = previous.indexOf(TRIED_HEADING) >= 0 ? previous.slice(previous.indexOf(TRIED_HEADING)) : "";
await writeFileAtomic(`${out}.md`, `${lines.join("\n")}\n${kept}`);
process.stdout.write(`${lines.join("\n")}\n`);
