/**
 * One throughput measurement in its own process (so peak RSS is its own): runs the recognition pipeline
 * with one recognizer, precision and thread count over a set of pictures and prints one JSON line.
 *   node dist/bench/throughput/measure.js --precision int8 --threads 1 --set images|video|video-camera [--recognizer ID]
 * `video-camera`: the video's frames as one camera's stream through the agent's FrameProcessor (tracks: a named
 * face is not embedded again in every frame, the plausibility check once per face; `--concurrency 2`: the next
 * frame decoded and detected on a DetectThread meanwhile, as worker.framesInFlight 2); the other sets analyse
 * every picture on its own (every face detected, checked, embedded and matched).
 * Without --recognizer, the manifest's default recognizer for the precision.
 */
import { readdirSync, readFileSync } from "node:fs";
import { extname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { trackSettingsSchema } from "../../agent/config.js";
import { FrameProcessor } from "../../agent/worker/frame-processor.js";
import { Trackers } from "../../agent/worker/tracker.js";
import type { FrameHeaders } from "../../protocol/frame-headers.js";
import { topics } from "../../protocol/topics.js";
import { DetectThread } from "../../recognition/detect-thread.js";
import { inProcessDetection } from "../../recognition/frame-detection.js";
import { emptyGallery, upsertIdentities } from "../../recognition/gallery.js";
import { GalleryMatcher } from "../../recognition/match.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { recognitionSettingsSchema } from "../../recognition/recognition-settings.js";
import { examplesDir, useBenchModels } from "../support/shared-data.js";
import { extractFrames } from "../support/video-frames.js";

useBenchModels();
const { values } = parseArgs({
  options: {
    precision: { type: "string", default: "fp32" },
    threads: { type: "string", default: "1" },
    set: { type: "string", default: "images" },
    detector: { type: "string" },
    /** A recognizer id of models/manifest.json; its precision should match --precision. */
    recognizer: { type: "string" },
    /** Pictures in flight at once (a worker serving several cameras keeps several frames going). */
    concurrency: { type: "string", default: "1" },
  },
});

function walkImages(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walkImages(path));
    else if ([".jpg", ".jpeg", ".png"].includes(extname(entry.name).toLowerCase())) out.push(path);
  }
  return out;
}

const camera = values.set === "video-camera";
const inputs: Buffer[] =
  values.set === "video" || camera
    ? extractFrames(join(examplesDir, "examples", "short_hamilton_clip.mp4"), 10)
    : walkImages(join(examplesDir, "examples")).map((p) => readFileSync(p));

const settings = {
  precision: values.precision as "fp32" | "int8",
  threads: Number(values.threads),
  executionProvider: "cpu",
  detector: values.detector,
  recognizer: values.recognizer,
} as const;
const pipeline = await RecognitionPipeline.load(settings);
// A gallery of 100 people so matching costs what a small deployment's would.
const gallery = upsertIdentities(
  emptyGallery(pipeline.recognizer),
  Array.from({ length: 100 }, (_, i) => ({
    name: `person-${i}`,
    embeddings: [{ vector: Float32Array.from({ length: pipeline.recognizer.embeddingSize }, (_, j) => Math.sin(i * 131 + j)), source: "" }],
  })),
);
const matcher = new GalleryMatcher(gallery, 0.5);

// Warm-up: the first runs allocate and pick kernels.
for (const input of inputs.slice(0, 3)) await pipeline.analyse(input);

const stages = {
  decode: [] as number[],
  detect: [] as number[],
  align: [] as number[],
  embed: [] as number[],
  match: [] as number[],
  total: [] as number[],
};
let faces = 0;
let embedded = 0;
const started = performance.now();
let next = 0;
async function lane(): Promise<void> {
  while (next < inputs.length) {
    const input = inputs[next++] as Buffer;
    const t0 = performance.now();
    const analysis = await pipeline.analyse(input);
    const t1 = performance.now();
    for (const face of analysis.faces) if (face.embedding) matcher.match(face.embedding);
    const t2 = performance.now();
    faces += analysis.faces.length;
    embedded += analysis.faces.filter((f) => f.embedding).length;
    for (const key of ["decode", "detect", "align", "embed"] as const) stages[key].push(analysis.timings[key]);
    stages.match.push(t2 - t1);
    stages.total.push(t2 - t0);
  }
}
/** The frames as one camera's stream through the agent's FrameProcessor, `concurrency` frames in flight (1 or 2). */
async function cameraStream(): Promise<void> {
  const inFlight = Number(values.concurrency) >= 2 ? 2 : 1;
  const detection =
    inFlight === 2
      ? await DetectThread.start(recognitionSettingsSchema.parse(settings), inProcessDetection(pipeline), (l) =>
          process.stderr.write(`${l}\n`),
        )
      : inProcessDetection(pipeline);
  const processor = new FrameProcessor(
    pipeline,
    { matcher, version: 1 },
    new Trackers(trackSettingsSchema.parse({}), "bench"),
    "bench",
    false,
    null,
    detection,
  );
  const { width = 0, height = 0 } = await sharp(inputs[0] as Buffer).metadata();
  const records = inputs.map((bytes, i) => {
    const headers: FrameHeaders = {
      "schema-version": 1,
      camera: "hamilton",
      seq: i + 1,
      "capture-time": 1_700_000_000_000 + i * 100,
      width,
      height,
      format: "jpeg",
      producer: "bench",
    };
    return { topic: topics.frames, partition: 0, offset: String(i), headers, bytes };
  });
  let ahead = inFlight === 2 && records[0] ? processor.detect(records[0]) : undefined;
  for (let i = 0; i < records.length; i++) {
    const record = records[i] as (typeof records)[number];
    const detected = ahead;
    const next = records[i + 1];
    ahead = inFlight === 2 && next ? processor.detect(next) : undefined;
    const out = await processor.process(record, record.headers["capture-time"], detected);
    faces += out.detection.faces.length;
    embedded += out.embeddings.run;
    for (const key of ["decode", "detect", "align", "embed", "match"] as const) stages[key].push(out.timings[key] ?? 0);
    stages.total.push(out.timings.total ?? 0);
  }
  await detection.close();
}
if (camera) await cameraStream();
else await Promise.all(Array.from({ length: Math.max(1, Number(values.concurrency)) }, () => lane()));
const elapsed = (performance.now() - started) / 1000;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)] as number) : 0;
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const summary = Object.fromEntries(
  Object.entries(stages).map(([k, xs]) => [k, { medianMs: Number(median(xs).toFixed(2)), meanMs: Number(mean(xs).toFixed(2)) }]),
);
process.stdout.write(
  `${JSON.stringify({
    recognizer: pipeline.recognizer.modelId,
    precision: values.precision,
    threads: Number(values.threads),
    concurrency: Number(values.concurrency),
    set: values.set,
    pictures: inputs.length,
    faces,
    embedded,
    picturesPerSecond: Number((inputs.length / elapsed).toFixed(2)),
    embedMsPerFace: Number((stages.embed.reduce((a, b) => a + b, 0) / Math.max(1, embedded)).toFixed(2)),
    stages: summary,
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    models: pipeline.describe().map((m) => m.model),
  })}\n`,
);
