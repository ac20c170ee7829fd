import { hostname } from "node:os";
import { resolve } from "node:path";
import { logLevel } from "kafkajs";
import { CameraCapture } from "../../agent/capture/capture-loop.js";
import { FrameProducer } from "../../agent/capture/frame-producer.js";
import type { V4l2Backend } from "../../agent/capture/v4l2-source.js";
import { FacefleetError, UsageError } from "../../core/errors.js";
import { assertBrokersReachable } from "../../kafka/broker-reachable.js";
import { createKafka } from "../../kafka/client.js";
import { frameHeadersSchema } from "../../protocol/frame-headers.js";
import { kafkaConfigHelp, kafkaConfigOptions, loadKafkaConfig } from "../kafka-config-options.js";
import type { Command } from "../main.js";
import { parseNumberOption, parseOptions, requireString } from "../parse-options.js";

const help = `usage: facefleet produce --camera ID --source FILE|DIR|/dev/videoN|rtsp://... [--fps N] [--loop]
                         [--brokers H:P,...] [--config FILE] [--max-frames N] [--state-dir DIR]

Captures frames and sends them to facefleet.frames (key = camera id, JPEG value, frame headers).
A video file plays in real time like a camera; a directory of pictures is shown one per tick.
When the broker is slow or down the newest frames are kept and the oldest dropped (counted).
Progress goes to stderr every few seconds; SIGINT/SIGTERM flushes what is queued and exits 0.

  --camera ID          camera id (the record key; 1-128 characters)
  --source S           video file, directory of JPEG/PNG pictures, /dev/videoN, or rtsp://...
  --fps N              frames per second (default 10)
  --loop               start a file or directory over at its end
  --max-frames N       stop after N frames (and wait until they are sent)
  --state-dir DIR      where the camera's sequence state lives (default .facefleet/capture)
  --producer-id ID     the producer header (default <hostname>)
  --video-size WxH     V4L2 capture size (default: the camera's)
  --v4l2 native|ffmpeg V4L2 back end (default: native when built, else ffmpeg)
  --queue N            frames queued while the broker is slow before the oldest is dropped (default 30)
  --progress-every S   seconds between progress lines (default 5; 0 = none)
${kafkaConfigHelp}`;

export const produceCommand: Command = {
  summary: "capture a camera, video, picture folder or RTSP stream into Kafka",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      camera: { type: "string" },
      source: { type: "string" },
      fps: { type: "string" },
      loop: { type: "boolean" },
      "max-frames": { type: "string" },
      "state-dir": { type: "string" },
      "producer-id": { type: "string" },
      "video-size": { type: "string" },
      v4l2: { type: "string" },
      queue: { type: "string" },
      "progress-every": { type: "string" },
      ...kafkaConfigOptions,
      help: { type: "boolean" },
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (see facefleet produce --help)`);
    const camera = requireString(values, "camera");
    if (!frameHeadersSchema.shape.camera.safeParse(camera).success) throw new UsageError("--camera must be 1-128 characters");
    const source = requireString(values, "source");
    const fps = parseNumberOption("fps", values.fps, 0.1, 120) ?? 10;
    const maxFrames = integerOption("max-frames", values["max-frames"], 1, Number.MAX_SAFE_INTEGER);
    const maxQueue = integerOption("queue", values.queue, 1, 10_000) ?? 30;
    const progressEvery = parseNumberOption("progress-every", values["progress-every"], 0, 3600) ?? 5;
    const producerId = values["producer-id"] ?? hostname();
    const stateDir = resolve(values["state-dir"] ?? ".facefleet/capture");
    const backend = (values.v4l2 ?? "auto") as V4l2Backend;
    if (!["auto", "native", "ffmpeg"].includes(backend)) throw new UsageError(`--v4l2 must be native or ffmpeg, got '${values.v4l2}'`);
    let width: number | undefined;
    let height: number | undefined;
    if (values["video-size"] !== undefined) {
      const m = /^(\d{2,5})x(\d{2,5})$/.exec(values["video-size"]);
      if (!m) throw new UsageError(`--video-size must be WxH, e.g. 640x480, got '${values["video-size"]}'`);
      width = Number(m[1]);
      height = Number(m[2]);
    }
    const config = loadKafkaConfig(values, `facefleet-produce-${camera}`);

    const notice = (line: string) => process.stderr.write(`produce ${camera}: ${line}\n`);
    // The source is checked (missing file / device) before anything else is opened.
    const capture = await CameraCapture.open(
      { camera, source, fps, loop: values.loop, width, height, v4l2Backend: backend },
      { stateDir, onNotice: notice },
    );
    // An unreachable broker at the start is an error (one line, within the connection timeout); once
    // running, a broker that goes away is waited for, keeping the newest frames (FrameProducer).
    await assertBrokersReachable(config.connection).catch(async (error: unknown) => {
      await capture.close();
      throw error;
    });
    const { sequence } = capture;
    if (sequence.resumed)
      notice(`seq resumes at ${sequence.peek()}${sequence.resumed.clean ? "" : " (previous run did not stop cleanly)"}`);
    const kafka = createKafka(config.connection, logLevel.NOTHING);
    const producer = new FrameProducer(kafka, { producerId, maxQueue, onNotice: notice });

    let signalled: string | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) return;
      signalled = signal;
      capture.stop();
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);

    const started = performance.now();
    let lastReport = { at: started, sent: 0 };
    const report = (final = false) => {
      const now = performance.now();
      const s = producer.stats();
      const window = (now - lastReport.at) / 1000;
      const rate = final ? s.sent / ((now - started) / 1000) : (s.sent - lastReport.sent) / Math.max(window, 0.001);
      lastReport = { at: now, sent: s.sent };
      notice(
        `${final ? "done: " : ""}captured ${capture.captured} sent ${s.sent} dropped ${s.dropped} queued ${s.queueDepth + s.inFlight} errors ${s.errors} ` +
          `${rate.toFixed(1)} fps${s.connected || final ? "" : " (broker not connected)"}${!s.connected && s.lastError ? `: ${s.lastError}` : ""}`,
      );
    };
    const timer = progressEvery > 0 ? setInterval(report, progressEvery * 1000) : undefined;
    notice(`${capture.kind} ${capture.label} at ${fps} fps -> ${config.connection.brokers.join(",")}`);

    let failure: unknown;
    try {
      await capture.pump(producer, { maxFrames });
    } catch (error) {
      failure = error;
    } finally {
      capture.stop();
      if (timer) clearInterval(timer);
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    }
    const final = await producer.close(10_000);
    await capture.close();
    const captured = capture.captured;
    if (!failure || captured > 0) report(true); // a source that failed at once: only its error line
    if (failure) throw failure;
    if (signalled) return 0;
    const unsent = captured - final.sent - final.dropped;
    if (final.sent === 0 && captured > 0)
      throw new FacefleetError(`no frame reached Kafka at ${config.connection.brokers.join(",")}: ${final.lastError ?? "unknown error"}`);
    if (unsent > 0) throw new FacefleetError(`${unsent} frame(s) not sent`);
    return 0;
  },
};

function integerOption(name: string, value: string | undefined, min: number, max: number): number | undefined {
  const n = parseNumberOption(name, value, min, max);
  if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got '${value}'`);
  return n;
}
