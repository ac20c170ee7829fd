import { type Kafka, logLevel } from "kafkajs";
import { FacefleetError } from "../core/errors.js";
import { GalleryReader } from "../gallery/gallery-reader.js";
import { MatchingGallery } from "../gallery/matching-gallery.js";
import { createKafka } from "../kafka/client.js";
import { topics } from "../protocol/topics.js";
import { AttributeModels } from "../recognition/attributes/attribute-models.js";
import { DetectThread } from "../recognition/detect-thread.js";
import { type FrameDetection, inProcessDetection } from "../recognition/frame-detection.js";
import { RecognitionPipeline } from "../recognition/pipeline.js";
import { CaptureRole, type CaptureStatsSnapshot, cameraSpec } from "./capture/capture-role.js";
import { openFrameSource } from "./capture/frame-source.js";
import type { CommandHandlers } from "./commands/command-listener.js";
import { LiveViewListener } from "./commands/live-view-listener.js";
import type { AgentConfig } from "./config.js";
import { type AgentMqtt, startAgentMqtt } from "./health/agent-mqtt.js";
import { agentVersion } from "./health/agent-version.js";
import type { ModelDescription } from "./health/health-builder.js";
import { agentMetricsText, processSample } from "./metrics/agent-metrics.js";
import { type MetricsServer, startMetricsServer } from "./metrics/metrics-server.js";
import { AnnotationDemand } from "./worker/annotation-demand.js";
import type { PartitionOwnership } from "./worker/assignment.js";
import { attributesInUse } from "./worker/attribute-settings.js";
import { stageThreads } from "./worker/stage-threads.js";
import { type StatsSnapshot, WorkerStats } from "./worker/stats.js";
import { InferenceWorker } from "./worker/worker.js";

export type AgentSnapshot = {
  agent: string;
  /** The inference role's counters (agent/worker/stats.ts); absent when the role is off. */
  inference?: StatsSnapshot;
  /** The capture role's producer counters (sent/dropped/errors/queue) and cameras; absent when no camera is captured. */
  capture?: CaptureStatsSnapshot;
};

export type RunningAgent = {
  /** The inference worker's counters (all zero when the role is off). */
  stats: WorkerStats;
  /** The inference role; undefined when `roles.inference` is false. */
  gallery?: MatchingGallery;
  worker?: InferenceWorker;
  /** The capture role; undefined when `roles.capture` is empty. */
  capture?: CaptureRole;
  /** Health reports and commands over MQTT; undefined without an `mqtt` config section. */
  mqtt?: AgentMqtt;
  /** GET /metrics (config `metrics`, agent/metrics/); undefined unless `metrics.enabled`. */
  metrics?: MetricsServer;
  /** Both roles' counters, for health reports. */
  snapshot(): AgentSnapshot;
  /** One line: the inference summary and/or the capture summary. */
  summary(): string;
  /**
   * Rejects if the worker fails for good; resolves once stop() has finished (or, for a capture-only
   * agent, once every camera's source has ended and the frames are flushed).
   */
  done: Promise<void>;
  /**
   * Graceful: capture first (sources end, queued frames flushed, seq state written), then the
   * worker (stop fetching, finish the frame in flight, commit, leave the group), then the gallery.
   */
  stop(): Promise<void>;
};

export type StartAgentOptions = {
  log?: (line: string) => void;
  ownership?: PartitionOwnership;
  kafka?: Kafka;
  /** Extra MQTT command handlers (drain/undrain hooks run after the `drained` flag is set). */
  commands?: CommandHandlers;
};

/** The topics the inference role reads and writes must exist (the broker does not create them). */
async function assertTopics(kafka: Kafka, config: AgentConfig): Promise<void> {
  const needed = [topics.frames, topics.detections, topics.events, topics.dlq, config.gallery.topic];
  if (config.worker.annotated !== "never") needed.push(topics.annotated);
  await assertTopicsExist(kafka, needed);
}

async function assertTopicsExist(kafka: Kafka, needed: string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const missing = needed.filter((t) => !existing.has(t));
    if (missing.length > 0) throw new FacefleetError(`missing topic(s) ${missing.join(", ")}: run facefleet topics ensure`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Starts an agent's roles: the capture role (every camera of `roles.capture` into one frame
 * producer) and the inference role (models, the gallery read to the end of its topic and then
 * followed, then the worker). Resolves once frames are being captured and consumed.
 */
export async function startAgent(config: AgentConfig, options: StartAgentOptions = {}): Promise<RunningAgent> {
  const log = options.log ?? ((line: string) => process.stderr.write(`agent ${config.agentId}: ${line}\n`));
  if (!config.roles.inference && config.roles.capture.length === 0)
    throw new FacefleetError("roles.inference is false and no camera is captured: nothing to do");

  const kafka = options.kafka ?? createKafka(config.kafka);
  const stats = new WorkerStats(config.agentId);
  let inference: Inference | undefined;
  // Which frames get an annotated JPEG: the live view's demands (over MQTT, below) feed it.
  const annotation = new AnnotationDemand(config.worker);
  let capture: CaptureRole | undefined;
  // The sources are checked first (a missing file or device is one line, before models load or Kafka is touched).
  for (const c of config.roles.capture) checkSource(c);
  // Then the metrics port (a port in use fails the start at once); while the models load it has the process alone.
  const metrics = config.metrics.enabled
    ? await startMetricsServer(
        config.metrics,
        () =>
          agentMetricsText({
            agentId: config.agentId,
            agentVersion: agentVersion(),
            ...(inference ? { stats } : {}),
            ...(capture ? { capture: capture.snapshot() } : {}),
            models: inference?.models ?? [],
            process: processSample(),
          }),
        log,
      )
    : undefined;
  if (metrics)
    log(
      `metrics on ${metrics.url}${/^(127\.|::1$|localhost$)/.test(config.metrics.host) ? " (this machine only)" : " (no authentication: reachable from the network)"}`,
    );
  let mqtt: AgentMqtt | undefined;
  let liveView: LiveViewListener | undefined;
  try {
    if (config.roles.inference) {
      inference = await startInference(config, kafka, stats, annotation, log, options.ownership);
      if (annotation.onDemand && !config.mqtt)
        log(
          `worker.annotated is on-demand but there is no mqtt section: only annotateAlways cameras (${config.worker.annotateAlways.length}) are annotated`,
        );
    }
    if (config.roles.capture.length > 0) {
      try {
        await assertTopicsExist(kafka, [topics.frames]);
        // The frame producer reports its own connection trouble (one line, then every 10th failure);
        // kafkajs's log of each retry would only repeat it.
        const captureKafka = options.kafka ?? createKafka(config.kafka, logLevel.NOTHING);
        capture = await CaptureRole.start({
          kafka: captureKafka,
          agentId: config.agentId,
          cameras: config.roles.capture,
          settings: config.capture,
          log,
        });
      } catch (error) {
        await inference?.worker.stop().catch(() => undefined);
        await inference?.galleryReader.stop().catch(() => undefined);
        throw error;
      }
    }

    if (config.mqtt) {
      const gallery = inference?.gallery;
      try {
        mqtt = await startAgentMqtt({
          agentId: config.agentId,
          settings: config.mqtt,
          framesTopic: topics.frames,
          stats: () => (inference ? stats.snapshot() : undefined),
          framesIn: () => stats.framesIn,
          cameras: capture?.cameraList() ?? [],
          lag: () => (inference ? stats.lag : undefined),
          models: () => inference?.models ?? [],
          handlers: {
            ...(capture
              ? {
                  "restart-capture": () => {
                    const count = (capture as CaptureRole).restart();
                    return `restarting ${count} camera(s): ${config.roles.capture.map((c) => c.camera).join(", ")}`;
                  },
                }
              : {}),
            // The reader follows the compacted gallery topic live; there is nothing to reload by hand.
            ...(gallery
              ? {
                  "reload-gallery": () =>
                    `gallery is followed live from ${config.gallery.topic}: version ${gallery.version}, ${gallery.size} identities`,
                }
              : {}),
            ...options.commands,
          },
          log,
        });
      } catch (error) {
        await capture?.stop().catch(() => undefined);
        await inference?.worker.stop().catch(() => undefined);
        await inference?.galleryReader.stop().catch(() => undefined);
        throw error;
      }
      if (inference && annotation.onDemand) {
        liveView = new LiveViewListener(mqtt.link.client, annotation, log);
        liveView.start();
      }
    }
  } catch (error) {
    await metrics?.close();
    throw error;
  }

  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      if (capture) {
        const final = await capture.stop();
        log(`capture stopped: sent ${final.sent}, dropped ${final.dropped}, errors ${final.errors}`);
      }
      if (inference) {
        await inference.worker.stop();
        inference.gallery.close();
        await inference.galleryReader.stop();
      }
      // Last: `offline` once the work is finished and committed.
      liveView?.stop();
      await mqtt?.close();
      await metrics?.close();
    })();
    return stopping;
  };
  const statsTimer =
    capture && config.worker.statsLogIntervalMs > 0
      ? setInterval(() => log(capture.summary()), config.worker.statsLogIntervalMs)
      : undefined;
  statsTimer?.unref();
  const finished = inference
    ? inference.worker.done.then(() => stopping)
    : // A capture-only agent is done when its sources are (files without loop), or when stopped.
      (capture as CaptureRole).allEnded.then(() => stop());
  const done = finished
    .finally(async () => {
      clearInterval(statsTimer);
      await mqtt?.close(); // also when the worker failed for good: say offline, let the process end
      await metrics?.close();
    })
    .then(() => undefined);
  done.catch(() => {});
  return {
    stats,
    gallery: inference?.gallery,
    worker: inference?.worker,
    capture,
    mqtt,
    ...(metrics ? { metrics } : {}),
    snapshot: () => ({
      agent: config.agentId,
      ...(inference ? { inference: stats.snapshot() } : {}),
      ...(capture ? { capture: capture.snapshot() } : {}),
    }),
    summary: () => [inference ? stats.summary() : "", capture?.summary() ?? ""].filter(Boolean).join("; "),
    done,
    stop,
  };
}

/** A missing source file or device fails the start at once (the capture role checks again when it opens it). */
function checkSource(source: AgentConfig["roles"]["capture"][number]): void {
  const spec = cameraSpec(source);
  const controller = new AbortController();
  controller.abort(); // only the checks run; nothing is read
  const opened = openFrameSource(spec.source, { fps: spec.fps, signal: controller.signal, v4l2Backend: spec.v4l2Backend });
  void opened.frames.return(undefined);
}

/** The inference role: the worker, and the gallery it matches against (the reader of the topic, and its matcher). */
type Inference = { worker: InferenceWorker; gallery: MatchingGallery; galleryReader: GalleryReader; models: ModelDescription[] };

async function startInference(
  config: AgentConfig,
  kafka: Kafka,
  stats: WorkerStats,
  annotation: AnnotationDemand,
  log: (line: string) => void,
  ownership: PartitionOwnership | undefined,
): Promise<Inference> {
  await assertTopics(kafka, config);
  const recognition = { ...config.recognition, threads: stageThreads(config.recognition.threads, config.worker.framesInFlight) };
  const pipeline = await RecognitionPipeline.load(recognition);
  let detection: FrameDetection | undefined;
  if (config.worker.framesInFlight === 2) {
    detection = await DetectThread.start(recognition, inProcessDetection(pipeline), log).catch((error: Error) => {
      log(`${error.message}: one frame in flight, everything on the main thread`);
      return undefined;
    });
  }
  const threads =
    recognition.threads === 0 ? "one onnxruntime thread per core" : `${recognition.threads} onnxruntime thread(s) per session`;
  // Attribute models only when some camera has attributes on (worker.attributes; off by default).
  const wanted = attributesInUse(config.worker.attributes);
  const attributes =
    wanted.length > 0
      ? await AttributeModels.load(wanted, {
          modelDirs: recognition.modelDirs,
          executionProvider: recognition.executionProvider,
          threads: recognition.threads,
        })
      : null;
  log(
    `models: ${pipeline
      .describe()
      .concat(attributes?.describe() ?? [])
      .map((m) => `${m.role} ${m.model} on ${m.provider}`)
      .join(", ")}; ${detection ? `2 frames in flight, decode and detect on a ${detection.where}` : "1 frame in flight"}, ${threads}`,
  );

  let worker: InferenceWorker | undefined;
  const thresholdNote = () =>
    config.worker.threshold !== undefined
      ? `distance threshold ${config.worker.threshold} (worker.threshold)`
      : `distance threshold ${gallery.threshold.toFixed(4)} (false-accept target ${config.worker.falseAcceptRate})`;
  const reader = new GalleryReader({ kafka, topic: config.gallery.topic, clientName: `gallery-${config.agentId}`, log });
  const gallery = new MatchingGallery({
    reader,
    recognizer: pipeline.recognizer,
    threshold: (identities) => config.worker.threshold ?? pipeline.galleryThreshold(identities, config.worker.falseAcceptRate).threshold,
    log,
    onChange: (note) => {
      stats.galleryVersion = note.version;
      stats.galleryIdentities = note.identities;
      worker?.galleryChanged();
      const parts = [
        note.upserted.length > 0 ? `+${note.upserted.join(", +")}` : "",
        note.deleted.length > 0 ? `-${note.deleted.join(", -")}` : "",
        note.ignored.length > 0 ? `ignored ${note.ignored.join(", ")}` : "",
      ].filter(Boolean);
      log(`gallery version ${note.version}: ${note.identities} identities (${parts.join("; ")}); ${thresholdNote()}`);
    },
  });
  await reader.start(config.gallery.loadTimeoutMs);
  stats.galleryVersion = gallery.version;
  stats.galleryIdentities = gallery.size;
  log(`gallery version ${gallery.version} loaded: ${gallery.size} identities; ${thresholdNote()}`);

  worker = new InferenceWorker({
    kafka,
    agentId: config.agentId,
    settings: config.worker,
    pipeline,
    ...(detection ? { detection } : {}),
    attributes,
    gallery,
    stats,
    annotation,
    log,
    ownership,
  });
  try {
    await worker.start();
  } catch (error) {
    await worker.stop().catch(() => undefined);
    await reader.stop();
    throw error;
  }
  return { worker, gallery, galleryReader: reader, models: [...pipeline.describe(), ...(attributes?.describe() ?? [])] };
}
