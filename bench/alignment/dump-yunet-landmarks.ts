/**
 * Writes YuNet's 5 landmarks of the central face of every LFW gallery picture to a JSON file, the input of
 * fit_template.py (which finds where dlib's own alignment puts these points).
 *   node dist/bench/alignment/dump-yunet-landmarks.js OUT.json
 */
import { writeFileAtomic } from "../../core/atomic-write.js";
import { decodeImage } from "../../recognition/decode.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { lfwGallery, useBenchModels } from "../support/shared-data.js";

useBenchModels();
const out = process.argv[2] ?? "bench/.cache/yunet-landmarks.json";
const pipeline = await RecognitionPipeline.load({ precision: "fp32", executionProvider: "cpu", detectScoreThreshold: 0.3 });
const result: Record<string, number[][]> = {};
for (const row of lfwGallery()) {
  const image = await decodeImage(row.path);
  const faces = await pipeline.detector.detect(image);
  const central = faces.sort(
    (a, b) =>
      Math.hypot(a.box.x + a.box.width / 2 - 125, a.box.y + a.box.height / 2 - 125) -
      Math.hypot(b.box.x + b.box.width / 2 - 125, b.box.y + b.box.height / 2 - 125),
  )[0];
  if (central) result[row.path] = central.landmarks.map((p) => [p.x, p.y]);
}
await writeFileAtomic(out, JSON.stringify(result));
process.stdout.write(`wrote ${Object.keys(result).length} landmark sets to ${out}\n`);
