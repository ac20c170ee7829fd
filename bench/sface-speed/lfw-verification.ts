/**
 * LFW verification (bench/accuracy's protocol: 4 folds, threshold chosen on the other folds) of several
 * recognizers on the same faces: each picture is decoded and detected once (fp32 YuNet, score >= 0.3, the face
 * nearest the centre, as bench/accuracy does for LFW), aligned for each recognizer and embedded by each.
 * Writes bench/results/sface-lfw.json and sface-lfw.md.
 *
 *   npm run build && node dist/bench/sface-speed/lfw-verification.js [--recognizer sface-2021dec-opt,sface-2021dec-opt-int8]
 */
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
import { crossValidatedVerification, type ScoredPair } from "../accuracy/verification.js";
import { machineDescription } from "../support/machine.js";
import { lfwPairs, useBenchModels } from "../support/shared-data.js";

useBenchModels();
const { values } = parseArgs({
  options: {
    recognizer: { type: "string", default: "sface-2021dec-opt,sface-2021dec-opt-int8" },
    threads: { type: "string", default: "2" },
  },
});
const ids = (values.recognizer as string).split(",");
const options = { dirs: modelDirs(), executionProvider: "cpu" as const, threads: Number(values.threads) };
const detector = createFaceDetector(await openModelSession(getDetector("yunet-2023mar-dynamic"), options), {
  maxSide: 640,
  scoreThreshold: 0.3,
  nmsThreshold: 0.3,
  topK: 5000,
});
const embedders = await Promise.all(ids.map(async (id) => createFaceRecognizer(await openModelSession(getRecognizer(id), options))));

const pairs = lfwPairs();
const pictures = [...new Set(pairs.flatMap((p) => [p.a, p.b]))].sort();
const embeddings = new Map<string, Float32Array[]>();
let noFace = 0;
for (const [i, path] of pictures.entries()) {
  const image = await decodeImage(path);
  const centre = (f: DetectedFace) =>
    Math.hypot(f.box.x + f.box.width / 2 - image.width / 2, f.box.y + f.box.height / 2 - image.height / 2);
  const face = (await detector.detect(image)).sort((a, b) => centre(a) - centre(b))[0];
  if (!face) noFace++;
  else {
    const vectors: Float32Array[] = [];
    for (const e of embedders) vectors.push(...(await e.embed([alignFace(image, face.landmarks, e.loaded.model.alignment)])));
    embeddings.set(path, vectors);
  }
  if ((i + 1) % 250 === 0 || i + 1 === pictures.length) process.stderr.write(`pictures: ${i + 1}/${pictures.length}\n`);
}

const cosineDistance = (a: Float32Array, b: Float32Array) => 1 - a.reduce((s, x, k) => s + x * (b[k] as number), 0);
const results = ids.map((id, m) => {
  // A pair with a picture where no face was found counts as answered "different" (distance 2), as in bench/accuracy.
  const scored: ScoredPair[] = pairs.map((p) => {
    const a = embeddings.get(p.a)?.[m];
    const b = embeddings.get(p.b)?.[m];
    return { distance: a && b ? cosineDistance(a, b) : 2, same: p.same, fold: p.fold };
  });
  const v = crossValidatedVerification(scored);
  return {
    recognizer: id,
    sha256: getRecognizer(id).sha256,
    mean: Number(v.mean.toFixed(4)),
    std: Number(v.std.toFixed(4)),
    perFold: v.perFold,
  };
});
const result = {
  generatedAt: new Date().toISOString(),
  command: `node dist/bench/sface-speed/lfw-verification.js --recognizer ${ids.join(",")}`,
  machine: machineDescription(),
  pairs: pairs.length,
  pictures: pictures.length,
  picturesWithoutFace: noFace,
  results,
};
await writeFileAtomic("bench/results/sface-lfw.json", `${JSON.stringify(result, null, 2)}\n`);
const lines = [
  "# LFW verification of the SFace variants",
  "",
  `Generated ${result.generatedAt} by \`${result.command}\`. ${pairs.length} pairs of ../shared/data/lfw_dev (4 folds), ${pictures.length} pictures, ${noFace} without a face (their pairs count as "different"). Each picture detected once (fp32 YuNet, score >= 0.3, face nearest the centre), aligned on each recognizer's template; cosine distance; threshold chosen on the other 3 folds (bench/accuracy/verification.ts).`,
  "",
  "| recognizer | sha256 | 4-fold accuracy | std | per fold (threshold) |",
  "|---|---|---|---|---|",
  ...results.map(
    (r) =>
      `| ${r.recognizer} | ${r.sha256.slice(0, 12)}… | ${(100 * r.mean).toFixed(2)} % | ${(100 * r.std).toFixed(2)} | ${r.perFold.map((f) => `${(100 * f.accuracy).toFixed(1)} (${f.threshold.toFixed(3)})`).join(", ")} |`,
  ),
  "",
];
await writeFileAtomic("bench/results/sface-lfw.md", `${lines.join("\n")}\n`);
process.stdout.write(`${lines.join("\n")}\n`);
