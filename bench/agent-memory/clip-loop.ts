/**
 * One measured process for bench/agent-memory/run.ts: loads the recognition pipeline as the agent does (settings
 * from FACEFLEET_BENCH_SETTINGS, JSON), loops the demo's clip through the worker's FrameProcessor `loops` times
 * with one or two frames in flight, and prints one JSON line: VmHWM and VmRSS (KiB) after loading and at the end,
 * the recognizer it loaded, frames processed.
 */
import { readFileSync } from "node:fs";
import { trackSettingsSchema } from "../../agent/config.js";
import { FrameProcessor } from "../../agent/worker/frame-processor.js";
import { Trackers } from "../../agent/worker/tracker.js";
import type { FrameHeaders } from "../../protocol/frame-headers.js";
import { topics } from "../../protocol/topics.js";
import { DetectThread } from "../../recognition/detect-thread.js";
import { inProcessDetection } from "../../recognition/frame-detection.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { recognitionSettingsSchema } from "../../recognition/recognition-settings.js";
import { clipFrames, demoGallery, loadClipLabels } from "../../testing/hamilton-clip.js";
import { useTestModels } from "../../testing/paths.js";

/** VmHWM and VmRSS of this process, KiB. */
function memory(): { hwmKiB: number; rssKiB: number } {
  const status = readFileSync("/proc/self/status", "utf8");
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+)`, "m").exec(status)?.[1] ?? Number.NaN);
  return { hwmKiB: field("VmHWM"), rssKiB: field("VmRSS") };
}

const [loopsArg, inFlightArg] = process.argv.slice(2);
const loops = Number(loopsArg);
const framesInFlight = Number(inFlightArg);
if (!Number.isInteger(loops) || loops < 0 || (framesInFlight !== 1 && framesInFlight !== 2))
  throw new Error("usage: clip-loop.js LOOPS FRAMES_IN_FLIGHT(1|2)");

useTestModels();
const settings = recognitionSettingsSchema.parse(JSON.parse(process.env.FACEFLEET_BENCH_SETTINGS ?? "{}"));
const pipeline = await RecognitionPipeline.load(settings);
const detection =
  framesInFlight === 2
    ? await DetectThread.start(settings, inProcessDetection(pipeline), (line) => process.stderr.write(`${line}\n`))
    : inProcessDetection(pipeline);
const labels = loadClipLabels();
const frames = clipFrames(labels);
const gallery = await demoGallery(pipeline);
const loaded = memory();
const processor = new FrameProcessor(
  pipeline,
  gallery,
  new Trackers(trackSettingsSchema.parse({}), "bench"),
  "bench",
  false,
  null,
  detection,
);

let seq = 0;
const t0 = 1_700_000_000_000;
for (let loop = 0; loop < loops; loop++) {
  const records = frames.map((bytes) => {
    seq++;
    const captureTime = Math.round(t0 + (seq * 1000) / labels.fps);
    const headers: FrameHeaders = {
      "schema-version": 1,
      camera: "hamilton",
      seq,
      "capture-time": captureTime,
      width: labels.width,
      height: labels.height,
      format: "jpeg",
      producer: "bench",
    };
    return { captureTime, record: { topic: topics.frames, partition: 0, offset: String(seq), headers, bytes } };
  });
  // As the worker does within a batch: the next frame's decode and detect start before this one is processed.
  let ahead = framesInFlight === 2 && records[0] ? processor.detect(records[0].record) : undefined;
  for (let i = 0; i < records.length; i++) {
    const { record, captureTime } = records[i] as (typeof records)[number];
    const detected = ahead;
    const next = records[i + 1];
    ahead = framesInFlight === 2 && next ? processor.detect(next.record) : undefined;
    await processor.process(record, captureTime, detected);
  }
}
const end = memory();
process.stdout.write(`${JSON.stringify({ recognizer: pipeline.embedder.modelId, frames: seq, loaded, end })}\n`);
process.exit(0);
