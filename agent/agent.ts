import type { Kafka } from "kafkajs";
import { FacefleetError } from "../cli/errors.js";
import { createKafka } from "../kafka/client.js";
import { topics } from "../protocol/topics.js";
import { RecognitionPipeline } from "../recognition/pipeline.js";
import type { AgentConfig } from "./config.js";
import type { PartitionOwnership } from "./worker/assignment.js";
import { GalleryFollower } from "./worker/gallery-follower.js";
import { WorkerStats } from "./worker/stats.js";
import { InferenceWorker } from "./worker/worker.js";

export type RunningAgent = {
  stats: WorkerStats;
  gallery: GalleryFollower;
  worker: InferenceWorker;
  /** Rejects if the worker fails for good; resolves once stop() has finished. */
  done: Promise<void>;
  /** Graceful: stop fetching, finish the frame in flight, commit, leave the group, close the gallery. */
  stop(): Promise<void>;
};

export type StartAgentOptions = { log?: (line: string) => void; ownership?: PartitionOwnership; kafka?: Kafka };

/** The topics the inference role reads and writes must exist (the broker does not create them). */
async function assertTopics(kafka: Kafka, config: AgentConfig): Promise<void> {
  const needed = [topics.frames, topics.detections, topics.events, topics.dlq, config.gallery.topic];
  if (config.worker.annotated) needed.push(topics.annotated);
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
 * Starts the inference role of an agent: models, the gallery (read to the end of its topic, then
 * followed), then the worker. Resolves once frames are being consumed.
 */
export async function startAgent(config: AgentConfig, options: StartAgentOptions = {}): Promise<RunningAgent> {
  const log = options.log ?? ((line: string) => process.stderr.write(`agent ${config.agentId}: ${line}\n`));
  if (config.roles.capture.length > 0) {
    throw new FacefleetError(
      "roles.capture: the capture role is not part of this build of the agent yet; run `facefleet produce` per camera and leave roles.capture empty",
    );
  }
  if (!config.roles.inference) throw new FacefleetError("roles.inference is false and no camera is captured: nothing to do");

  const kafka = options.kafka ?? createKafka(config.kafka);
  await assertTopics(kafka, config);
  const pipeline = await RecognitionPipeline.load(config.recognition);
  log(
    `models: ${pipeline
      .describe()
      .map((m) => `${m.role} ${m.model} on ${m.provider}`)
      .join(", ")}`,
  );

  const stats = new WorkerStats(config.agentId);
  let worker: InferenceWorker | undefined;
  const gallery = new GalleryFollower({
    kafka,
    topic: config.gallery.topic,
    agentId: config.agentId,
    recognizer: pipeline.recognizer,
    threshold: config.worker.threshold ?? pipeline.thresholds.cosineDistance,
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
      log(`gallery version ${note.version}: ${note.identities} identities (${parts.join("; ")})`);
    },
  });
  await gallery.start(config.gallery.loadTimeoutMs);
  stats.galleryVersion = gallery.version;
  stats.galleryIdentities = gallery.size;
  log(`gallery version ${gallery.version} loaded: ${gallery.size} identities`);

  worker = new InferenceWorker({
    kafka,
    agentId: config.agentId,
    settings: config.worker,
    pipeline,
    gallery,
    stats,
    log,
    ownership: options.ownership,
  });
  try {
    await worker.start();
  } catch (error) {
    await worker.stop().catch(() => undefined);
    await gallery.stop();
    throw error;
  }
  const running = worker;
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await running.stop();
      await gallery.stop();
    })();
    return stopping;
  };
  const done = running.done.then(() => stopping);
  return { stats, gallery, worker: running, done: done.then(() => undefined), stop };
}
