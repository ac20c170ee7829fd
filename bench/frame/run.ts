/**
 * The agent's work per frame, in-process: the demo's clip (short_hamilton_clip.mp4 at 5 fps, the frames the
 * capture role sends, testing/hamilton-clip.ts) looped on one camera through the worker's real FrameProcessor
 * (decode, detect with the plausibility check, align + embed, match against the demo's gallery of two, track;
 * no Kafka), once with the defaults before 2026-12-04 (fp32 recognizer, plausibility check on every detection:
 * the baseline), once with every face embedded in every frame (recognise once per track off), once
 * with the defaults (on), and once with the defaults and two frames in flight (the agent's worker.framesInFlight
 * 2: the next frame decoded and detected on a DetectThread, recognition/detect-thread.ts, with its own detector
 * session, while this one is aligned, embedded and tracked on the main thread), the three interleaved loop by
 * loop so all see the same load. Reports per frame the p50 of each stage, p50/p95 of the total (the sum of
 * the stages, wherever they ran), embeddings per frame, frames per second back to back (wall time of the
 * loops) and frames per core-second (process CPU time, all threads); and, for frames with two faces or more,
 * one batched embedding run against one run per face.
 *
 *   npm run bench:frame [-- --loops 6 --threads 1 --recognizer ID --annotate]
 *
 * Writes bench/results/frame.json and bench/results/frame.md (frame-<recognizer>.* with --recognizer).
 */
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { parseAgentConfig, trackSettingsSchema } from "../../agent/config.js";
import { AnnotationDemand } from "../../agent/worker/annotation-demand.js";
import { FrameAnnotator } from "../../agent/worker/annotator.js";
import { FrameProcessor } from "../../agent/worker/frame-processor.js";
import { Trackers } from "../../agent/worker/tracker.js";
import { writeFileAtomic } from "../../core/atomic-write.js";
import type { FrameHeaders } from "../../protocol/frame-headers.js";
import { topics } from "../../protocol/topics.js";
import { DetectThread } from "../../recognition/detect-thread.js";
import { inProcessDetection } from "../../recognition/frame-detection.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { recognitionSettingsSchema } from "../../recognition/recognition-settings.js";
import { clipFrames, demoGallery, loadClipLabels } from "../../testing/hamilton-clip.js";
import { useTestModels } from "../../testing/paths.js";
import { machineDescription } from "../support/machine.js";

const { values } = parseArgs({
  options: {
    loops: { type: "string", default: "6" },
    threads: { type: "string", default: "1" },
    recognizer: { type: "string" },
    annotate: { type: "boolean", default: false },
  },
});
const loops = Number(values.loops);
if (!Number.isInteger(loops) || loops < 1) throw new Error("--loops must be a whole number ≥ 1");
const threads = Number(values.threads);

useTestModels();
const settings = recognitionSettingsSchema.parse({ threads, ...(values.recognizer ? { recognizer: values.recognizer } : {}) });
const pipeline = await RecognitionPipeline.load(settings);
// Two frames in flight: decode and detect on a thread of their own, as the agent's worker.framesInFlight 2 has it.
const detectThread = await DetectThread.start(settings, inProcessDetection(pipeline), (line) => process.stderr.write(`${line}\n`));
const recognizer = pipeline.embedder.modelId;
const labels = loadClipLabels();
const frames = clipFrames(labels);
const gallery = await demoGallery(pipeline);
// The defaults before 2026-12-04, as a baseline in the same run: the fp32 recognizer on a CPU and the plausibility
// check on every detection of every frame (no plausibilityReuseFrames).
const before = await RecognitionPipeline.load({ ...settings, precision: "fp32", plausibilityReuseFrames: 0 });
const beforeGallery = await demoGallery(before);

const STAGES = ["decode", "detect", "align", "embed", "match", "track", "annotate", "total"] as const;
type Stage = (typeof STAGES)[number];
type Config = {
  name: string;
  what: string;
  /** 2: the next frame's decode and detect are started (on the detect thread) before this frame is processed. */
  framesInFlight: 1 | 2;
  processor: FrameProcessor;
  seq: number;
  samples: Record<Stage, number[]>;
  embedded: number;
  skipped: number;
  cpuMicros: number;
  wallMs: number;
};
const config = (
  name: string,
  what: string,
  recogniseOnce: { enabled: boolean },
  framesInFlight: 1 | 2 = 1,
  models: { pipeline: RecognitionPipeline; gallery: typeof gallery } = { pipeline, gallery },
): Config => ({
  name,
  what,
  framesInFlight,
  processor: new FrameProcessor(
    models.pipeline,
    models.gallery,
    new Trackers(trackSettingsSchema.parse({ recogniseOnce }), name),
    "bench",
    // --annotate: every frame annotated (as `annotated: "always"` with no cap).
    values.annotate
      ? new FrameAnnotator(
          new AnnotationDemand(parseAgentConfig({ agentId: "bench", worker: { annotated: "always", annotateMaxFps: 0 } }).worker),
        )
      : false,
    null,
    framesInFlight === 2 ? detectThread : inProcessDetection(models.pipeline),
  ),
  seq: 0,
  samples: Object.fromEntries(STAGES.map((s) => [s, []])) as unknown as Record<Stage, number[]>,
  embedded: 0,
  skipped: 0,
  cpuMicros: 0,
  wallMs: 0,
});
const configs = [
  config(
    "before",
    "the defaults before 2026-12-04: fp32 recognizer, plausibility check on every detection, recognise once per track",
    { enabled: true },
    1,
    { pipeline: before, gallery: beforeGallery },
  ),
  config("off", "every face embedded in every frame (recogniseOnce.enabled false)", { enabled: false }),
  config("on", "recognise once per track (defaults)", { enabled: true }),
  config(
    "on-2-in-flight",
    "recognise once per track, two frames in flight (the next frame decoded and detected on a DetectThread meanwhile)",
    { enabled: true },
    2,
  ),
];

const t0 = 1_700_000_000_000;
const frameMs = 1000 / labels.fps;
/** The clip's frames as the consumer would hand them over, numbered on from the config's last seq. */
function records(c: Config) {
  return frames.map((bytes) => {
    c.seq++;
    const captureTime = Math.round(t0 + (c.seq - 1) * frameMs);
    const headers: FrameHeaders = {
      "schema-version": 1,
      camera: "hamilton",
      seq: c.seq,
      "capture-time": captureTime,
      width: labels.width,
      height: labels.height,
      format: "jpeg",
      producer: "bench",
    };
    return { captureTime, record: { topic: topics.frames, partition: 0, offset: String(c.seq), headers, bytes } };
  });
}

/**
 * One pass over the clip, frame after frame. With two frames in flight the next frame's decode and detect start
 * before this one is processed (as the worker does within a batch), so wall and CPU time are taken over the whole
 * pass; a frame's own timings are its stages' time, wherever they ran.
 */
async function loop(c: Config, measure: boolean): Promise<void> {
  const todo = records(c);
  const cpu = process.cpuUsage();
  const start = performance.now();
  let ahead = c.framesInFlight === 2 && todo[0] ? c.processor.detect(todo[0].record) : undefined;
  for (let i = 0; i < todo.length; i++) {
    const { record, captureTime } = todo[i] as (typeof todo)[number];
    const detected = ahead;
    const next = todo[i + 1];
    ahead = c.framesInFlight === 2 && next ? c.processor.detect(next.record) : undefined;
    const out = await c.processor.process(record, captureTime, detected);
    if (!measure) continue;
    for (const stage of STAGES) c.samples[stage].push(out.timings[stage] ?? 0);
    c.embedded += out.embeddings.run;
    c.skipped += out.embeddings.skipped;
  }
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  if (!measure) return;
  c.wallMs += wall;
  c.cpuMicros += used.user + used.system;
}

const loadBefore = r2Load(loadavg()[0] ?? 0);
// One warm-up loop each (sessions, caches), then the measured loops, interleaved.
for (const c of configs) await loop(c, false);
for (let n = 0; n < loops; n++) for (const c of configs) await loop(c, true);

// Batched against one run per face, on the clip's frames with two or more recognisable faces.
let batchedMs = 0;
let singleMs = 0;
let batchFaces = 0;
let batchFrames = 0;
for (const bytes of frames) {
  const image = await pipeline.decode(bytes);
  const faces = (await pipeline.detect(image)).faces.filter((f) => pipeline.isRecognisable(f));
  if (faces.length < 2) continue;
  const chips = faces.map((f) => pipeline.embedder.align(image, f.landmarks));
  for (let round = 0; round < 3; round++) {
    let t = performance.now();
    await pipeline.embedder.embed(chips);
    batchedMs += performance.now() - t;
    t = performance.now();
    for (const chip of chips) await pipeline.embedder.embed([chip]);
    singleMs += performance.now() - t;
  }
  batchFaces += faces.length;
  batchFrames++;
}

await detectThread.close();
const loadAfter = r2Load(loadavg()[0] ?? 0);
function r2Load(v: number): number {
  return Math.round(v * 100) / 100;
}
const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length === 0 ? 0 : (sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] as number);
};
const r1 = (v: number) => Math.round(v * 10) / 10;
const r2 = (v: number) => Math.round(v * 100) / 100;
const results = configs.map((c) => {
  const count = c.samples.total.length;
  return {
    name: c.name,
    what: c.what,
    frames: count,
    p50: Object.fromEntries(STAGES.map((s) => [s, r1(quantile(c.samples[s], 0.5))])),
    mean: Object.fromEntries(STAGES.map((s) => [s, r1(c.samples[s].reduce((a, b) => a + b, 0) / count)])),
    totalP95: r1(quantile(c.samples.total, 0.95)),
    embeddingsPerFrame: r2(c.embedded / count),
    skippedPerFrame: r2(c.skipped / count),
    framesPerSecond: r1(count / (c.wallMs / 1000)),
    framesPerCoreSecond: r1(count / (c.cpuMicros / 1e6)),
    framesInFlight: c.framesInFlight,
    cpuPercentOfOneCore: Math.round((c.cpuMicros / 1000 / c.wallMs) * 100),
  };
});
const machine = machineDescription();
const args = `--loops ${loops} --threads ${threads}${values.recognizer ? ` --recognizer ${values.recognizer}` : ""}${values.annotate ? " --annotate" : ""}`;
const command = `npm run bench:frame -- ${args}`;
const batch = {
  frames: batchFrames,
  faces: batchFaces,
  batchable: pipeline.embedder.batchable,
  batchedMsPerFace: r2(batchedMs / (3 * batchFaces)),
  oneRunPerFaceMsPerFace: r2(singleMs / (3 * batchFaces)),
};
const stem = values.recognizer ? `frame-${values.recognizer}` : "frame";
const report = {
  command,
  machine,
  recognizer,
  threads,
  annotate: values.annotate,
  loops,
  framesPerLoop: frames.length,
  loadAverage1m: { before: loadBefore, after: loadAfter },
  results,
  batch,
};
await writeFileAtomic(`bench/results/${stem}.json`, `${JSON.stringify(report, null, 2)}\n`);

const [was, off, on, on2] = results as [
  (typeof results)[number],
  (typeof results)[number],
  (typeof results)[number],
  (typeof results)[number],
];
const row = (label: string, f: (r: typeof off) => string | number) => `| ${label} | ${f(was)} | ${f(off)} | ${f(on)} | ${f(on2)} |`;
const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : "—");
const md = [
  "# The agent's work per frame: int8, plausibility once per face, recognise once per track, two frames in flight",
  "",
  `\`${command}\`, ${machine.cpu} (${machine.cores} cores), node ${machine.node}, onnxruntime ${machine.onnxruntime}; detector ${pipeline.detector.loaded.model.id}, recognizer \`${recognizer}\`, ${threads} intra-op thread(s), annotate ${values.annotate ? "on" : "off"}.`,
  `The demo's clip (${frames.length} frames at ${labels.fps} fps) looped ${loops} times on one camera through the worker's FrameProcessor (no Kafka), after one warm-up loop;`,
  `the four columns interleaved loop by loop. The first is the baseline: the agent's defaults before 2026-12-04 (\`${before.embedder.modelId}\`, every detection checked for plausibility in every frame), the others today's (${recognizer}; a face that follows a kept one of the previous frame is not checked again, recognition.plausibilityReuseFrames). The fourth runs the next frame's decode and detect on a DetectThread (recognition/detect-thread.ts, its own detector session, ${threads} thread(s)) while this frame is aligned, embedded, matched and tracked on the main thread, as the agent's worker.framesInFlight 2 does; its total is the sum of the stages wherever they ran, so frames per second (wall time of the loops, back to back) is where the overlap shows. The machine was shared with other work (1-minute load average ${loadBefore} before, ${loadAfter} after, on ${machine.cores} cores): compare the columns, not runs.`,
  "",
  `| ms per frame (p50 unless said) | before: ${was.what} | off: ${off.what} | on: ${on.what} | on, 2 in flight: ${on2.what} |`,
  "|---|---|---|---|---|",
  ...(["decode", "detect", "align", "embed", "match", "track"] as const).map((s) => row(s, (r) => r.p50[s] ?? 0)),
  row("align + embed, mean", (r) => r1((r.mean.align ?? 0) + (r.mean.embed ?? 0))),
  row("total p50", (r) => r.p50.total ?? 0),
  row("total p95", (r) => r.totalP95),
  row("faces embedded per frame", (r) => r.embeddingsPerFrame),
  row("faces skipped per frame (track named)", (r) => r.skippedPerFrame),
  row("frames per second (one camera, back to back)", (r) => r.framesPerSecond),
  row("frames per core-second (process CPU time)", (r) => r.framesPerCoreSecond),
  row("process CPU, % of one core", (r) => r.cpuPercentOfOneCore),
  "",
  `Today's defaults (on) / before, same run: total p50 ${ratio(on.p50.total ?? 0, was.p50.total ?? 0)}, detect ${ratio(on.p50.detect ?? 0, was.p50.detect ?? 0)}, embed ${ratio(on.p50.embed ?? 0, was.p50.embed ?? 0)}, frames per second ${ratio(on.framesPerSecond, was.framesPerSecond)}, frames per core-second ${ratio(on.framesPerCoreSecond, was.framesPerCoreSecond)}; with two frames in flight: frames per second ${ratio(on2.framesPerSecond, was.framesPerSecond)}.`,
  `On / off: total p50 ${ratio(on.p50.total ?? 0, off.p50.total ?? 0)}, embeddings ${ratio(on.embeddingsPerFrame, off.embeddingsPerFrame)}, frames per core-second ${ratio(on.framesPerCoreSecond, off.framesPerCoreSecond)}.`,
  `Two frames in flight / one (both on): frames per second ${ratio(on2.framesPerSecond, on.framesPerSecond)}, frames per core-second ${ratio(on2.framesPerCoreSecond, on.framesPerCoreSecond)}, CPU ${on2.cpuPercentOfOneCore} % against ${on.cpuPercentOfOneCore} % of one core.`,
  "",
  `Batching (${batch.frames} frames of the clip with two or more faces, ${batch.faces} faces, 3 rounds): ${batch.batchedMsPerFace} ms per face in one session run against ${batch.oneRunPerFaceMsPerFace} ms in one run per face (${recognizer} ${batch.batchable ? "takes a batch" : "has a fixed batch of 1: both are a loop"}).`,
  "",
];
await writeFileAtomic(`bench/results/${stem}.md`, md.join("\n"));
process.stderr.write(`${md.join("\n")}\n`);
