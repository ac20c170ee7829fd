/**
 * What annotation on demand saves per frame: the Hamilton sample clip (the demo's) as one 10 fps camera through the
 * worker's real FrameProcessor (decode, YuNet, recognizer, the demo's gallery of two, tracker; no Kafka), in three
 * modes interleaved loop by loop on the same machine: nobody watching (`on-demand`, no live-view demand: nothing
 * drawn or encoded), a viewer watching (the default cap of 5 annotated frames per second), and every frame
 * annotated (`always` with `annotateMaxFps: 0`, what every agent did before). Reports the agent's processing ms
 * per frame (the detection's `total`) p50 / mean and the annotate step's ms.
 *
 *   npm run build && node dist/bench/annotate/run.js [--loops 6] [--threads 1]
 *
 * Writes bench/results/annotate.json and bench/results/annotate.md.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseAgentConfig } from "../../agent/config.js";
import { AnnotationDemand } from "../../agent/worker/annotation-demand.js";
import { FrameAnnotator } from "../../agent/worker/annotator.js";
import { FrameProcessor } from "../../agent/worker/frame-processor.js";
import { Trackers } from "../../agent/worker/tracker.js";
import { LIVE_VIEW_SCHEMA_VERSION } from "../../protocol/live-view.js";
import { topics } from "../../protocol/topics.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { clipFrames, demoGallery, loadClipLabels } from "../../testing/hamilton-clip.js";
import { repoRoot, useTestModels } from "../../testing/paths.js";
import { machineDescription } from "../support/machine.js";

const { values } = parseArgs({
  options: {
    loops: { type: "string", default: "6" },
    threads: { type: "string", default: "1" },
  },
});
const loops = Number(values.loops);
if (!Number.isInteger(loops) || loops < 1) throw new Error("--loops must be a whole number ≥ 1");
const CAMERA_FPS = 10;

useTestModels();
const pipeline = await RecognitionPipeline.load({ threads: Number(values.threads) });
const models = pipeline.describe().map((m) => `${m.role} ${m.model}`);
const labels = loadClipLabels();
const frames = clipFrames(labels);
const gallery = await demoGallery(pipeline);

type Mode = { name: string; what: string; worker: Record<string, unknown>; watched: boolean };
const modes: Mode[] = [
  { name: "no viewer", what: "`on-demand` (default), no live-view demand", worker: {}, watched: false },
  { name: "viewer", what: "`on-demand`, the camera watched, default cap 5 fps", worker: {}, watched: true },
  {
    name: "every frame",
    what: "`always`, `annotateMaxFps: 0` (before: every frame annotated)",
    worker: { annotated: "always", annotateMaxFps: 0 },
    watched: false,
  },
];
const runs = modes.map((mode) => {
  const settings = parseAgentConfig({ agentId: "bench", worker: mode.worker }).worker;
  const demand = new AnnotationDemand(settings);
  const processor = new FrameProcessor(
    pipeline,
    gallery,
    new Trackers(settings.track, `bench-${mode.name}`),
    "bench",
    new FrameAnnotator(demand),
  );
  return { mode, demand, processor, totals: [] as number[], annotate: [] as number[], annotated: 0 };
});

// Warm-up: one pass of the clip, not counted.
for (const bytes of frames) await pipeline.analyse(bytes);

const t0 = 1_700_000_000_000;
let seq = 0;
for (let loop = 0; loop < loops; loop++) {
  for (const run of runs) {
    // The demand of a watching viewer, refreshed well within its lease (as the coordinator does).
    if (run.mode.watched)
      run.demand.watch({
        schemaVersion: LIVE_VIEW_SCHEMA_VERSION,
        all: false,
        cameras: ["hamilton"],
        leaseMs: 600_000,
        issuedAt: Date.now(),
      });
    for (const [index, bytes] of frames.entries()) {
      const frameSeq = loop * frames.length + index + 1;
      seq = frameSeq;
      const captureTime = Math.round(t0 + (frameSeq - 1) * (1000 / CAMERA_FPS));
      const headers = {
        "schema-version": 1 as const,
        camera: "hamilton",
        seq: frameSeq,
        "capture-time": captureTime,
        width: labels.width,
        height: labels.height,
        format: "jpeg" as const,
        producer: "bench",
      };
      const out = await run.processor.process(
        { topic: topics.frames, partition: 0, offset: String(frameSeq), headers, bytes },
        captureTime,
      );
      run.totals.push(out.timings.total ?? 0);
      run.annotate.push(out.timings.annotate ?? 0);
      if (out.annotated) run.annotated++;
    }
  }
  process.stderr.write(`loop ${loop + 1}/${loops}\n`);
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
};
const mean = (values: number[]) => values.reduce((s, v) => s + v, 0) / Math.max(1, values.length);
const results = runs.map((r) => ({
  mode: r.mode.name,
  what: r.mode.what,
  frames: r.totals.length,
  annotatedFrames: r.annotated,
  totalMs: { p50: quantile(r.totals, 0.5), p95: quantile(r.totals, 0.95), mean: mean(r.totals) },
  annotateMs: { mean: mean(r.annotate), meanWhenAnnotated: r.annotated > 0 ? (mean(r.annotate) * r.annotate.length) / r.annotated : 0 },
}));
const baseline = results[0] as (typeof results)[number];
const machine = machineDescription();
const command = `node dist/bench/annotate/run.js --loops ${loops} --threads ${values.threads}`;
writeFileSync(
  join(repoRoot, "bench", "results", "annotate.json"),
  `${JSON.stringify({ command, machine, models, cameraFps: CAMERA_FPS, clipFrames: frames.length, loops, seq, results }, null, 2)}\n`,
);
const f1 = (v: number) => v.toFixed(1);
const md = [
  "# Annotation on demand: the agent's ms per frame with and without a viewer",
  "",
  `\`${command}\` (after \`npm run build\`), ${machine.cpu} (${machine.cores} cores, **shared with other jobs while it ran**: compare the rows of this`,
  `run with each other, not with other files), node ${machine.node}, onnxruntime ${machine.onnxruntime}, sharp ${machine.sharp}; ${models.join(", ")}, ${values.threads} thread(s).`,
  `The Hamilton sample clip (${frames.length} frames, ${labels.width}×${labels.height}) as one ${CAMERA_FPS} fps camera, ${loops} loops, through the worker's`,
  "FrameProcessor (decode → detect → align → embed → match → track → annotate; the demo's gallery of two), the three modes interleaved loop by loop.",
  "`processing` is the detection's `total` (everything the agent does for a frame but producing it); `annotate` is the annotate step",
  "(the detection's faces made from the tracks, then drawing the boxes and names and encoding the JPEG), per frame and per annotated frame.",
  "",
  "| mode | | frames | annotated | processing p50 ms | p95 ms | mean ms | vs no viewer (mean) | annotate ms per frame | per annotated frame |",
  "|---|---|---|---|---|---|---|---|---|---|",
  ...results.map(
    (r) =>
      `| ${r.mode} | ${r.what} | ${r.frames} | ${r.annotatedFrames} | ${f1(r.totalMs.p50)} | ${f1(r.totalMs.p95)} | ${f1(r.totalMs.mean)} | ${(r.totalMs.mean / baseline.totalMs.mean).toFixed(2)}× | ${f1(r.annotateMs.mean)} | ${f1(r.annotateMs.meanWhenAnnotated)} |`,
  ),
  "",
  "Without a viewer nothing is drawn or encoded: the annotate step is a check. A viewer costs the annotate step on at most",
  "`worker.annotateMaxFps` frames per second per camera; the boxes and names are in every detection either way.",
  "",
];
writeFileSync(join(repoRoot, "bench", "results", "annotate.md"), md.join("\n"));
process.stderr.write(`${md.join("\n")}\n`);
