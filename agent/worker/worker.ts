import { performance } from "node:perf_hooks";
import kafkajs, { type Consumer, type Kafka, type KafkaMessage, type Producer } from "kafkajs";
import { restartAfterCrash } from "../../kafka/consumer-restart.js";
import { topics } from "../../protocol/topics.js";
import type { AttributeModels } from "../../recognition/attributes/attribute-models.js";
import { DecodeError } from "../../recognition/decode.js";
import type { DecodedDetection, FrameDetection } from "../../recognition/frame-detection.js";
import type { RecognitionPipeline } from "../../recognition/pipeline.js";
import type { WorkerSettings } from "../config.js";
import { AnnotationDemand } from "./annotation-demand.js";
import { FrameAnnotator } from "./annotator.js";
import { consumerGroupOwnership, type PartitionOwnership } from "./assignment.js";
import { PlanOwnership } from "./assignment-plan.js";
import { CaptureClock } from "./capture-clock.js";
import { deadLetterMessage } from "./dead-letter.js";
import { type Admission, admitFrame } from "./frame-intake.js";
import { FrameProcessor, type GalleryView } from "./frame-processor.js";
import { eventMessage, outputMessages } from "./outputs.js";
import { PrivacyPolicy } from "./privacy-settings.js";
import { type DlqStage, WorkerStats } from "./stats.js";
import { Trackers } from "./tracker.js";

const { Partitioners } = kafkajs;

/** A frame admitted (or not) and, when admitted, its decode and detect stages under way. */
type StartedFrame = { startedAt: number; admission: Admission; detected?: Promise<DecodedDetection> };

export type InferenceWorkerOptions = {
  kafka: Kafka;
  agentId: string;
  settings: WorkerSettings;
  pipeline: RecognitionPipeline;
  /** The attribute models of worker.attributes (loaded by the agent only when some camera uses them). */
  attributes?: AttributeModels | null;
  gallery: GalleryView;
  /** Default: Kafka's consumer group `settings.groupId`. */
  ownership?: PartitionOwnership;
  stats?: WorkerStats;
  /**
   * Where frames are decoded and detected; default: the pipeline, on this thread. With settings.framesInFlight 2
   * the agent passes a thread of its own (recognition/detect-thread.ts). Closed by stop().
   */
  detection?: FrameDetection;
  /** Which frames get an annotated JPEG (fed by the live view's demands over MQTT). Default: from `settings` alone. */
  annotation?: AnnotationDemand;
  log?: (line: string) => void;
};

/**
 * The inference role: facefleet.frames (the partitions this agent owns) → detections, annotated,
 * events, DLQ. See agent/README.md for the flow and the delivery guarantees.
 *
 * At-least-once: a record's offset is resolved only after everything it produced (its outputs, or
 * its DLQ record) is acknowledged by the broker (idempotent producer, acks=all), and only resolved
 * offsets are ever committed (every commitIntervalMs, at the end of each batch, before a rebalance
 * and on stop). A crash re-delivers the frames after the last commit; their (camera, seq) repeat.
 */
export class InferenceWorker {
  readonly stats: WorkerStats;
  private readonly trackers: Trackers;
  private readonly processor: FrameProcessor;
  private readonly ownership: PartitionOwnership;
  private readonly log: (line: string) => void;
  private producer: Producer | undefined;
  private consumer: Consumer | undefined;
  private detach: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private stopping: Promise<void> | undefined;
  private readonly staleNotes = new Map<string, { count: number; lastAgeMs: number; loggedAt: number }>();
  /** This agent's clock against each camera's, for the stale-frame rule (capture-clock.ts). */
  private readonly captureClock = new CaptureClock((camera, offsetMs) =>
    this.log(
      offsetMs === 0
        ? `clock: camera ${camera}'s capture times agree with this agent's clock again`
        : `clock: camera ${camera}'s capture times are ${Math.round(Math.abs(offsetMs) / 1000)} s ${offsetMs > 0 ? "behind" : "ahead of"} this agent's clock (its newest frames); the stale-frame rule allows for it`,
    ),
  );
  private dlqLoggedAt = 0;
  private dlqUnlogged = 0;
  private failed!: (error: Error) => void;
  /** Rejects when the consumer crashes for good (kafkajs will not restart it); resolves after stop(). */
  readonly done: Promise<void>;
  private finished!: () => void;

  constructor(private readonly options: InferenceWorkerOptions) {
    this.stats = options.stats ?? new WorkerStats(options.agentId);
    this.log = options.log ?? (() => {});
    this.ownership =
      options.ownership ??
      (options.settings.assignment === "plan"
        ? new PlanOwnership({ kafka: options.kafka, agentId: options.agentId, groupId: options.settings.groupId, log: this.log })
        : consumerGroupOwnership(options.settings.groupId));
    this.trackers = new Trackers(options.settings.track, `${options.agentId}.${Date.now().toString(36)}`, options.settings.watchlist);
    const annotation = options.annotation ?? new AnnotationDemand(options.settings);
    const annotator = annotation.enabled && new FrameAnnotator(annotation, new PrivacyPolicy(options.settings.privacy));
    this.processor = new FrameProcessor(
      options.pipeline,
      options.gallery,
      this.trackers,
      options.agentId,
      annotator,
      options.attributes ? { models: options.attributes, settings: options.settings.attributes } : null,
      options.detection,
    );
    this.done = new Promise<void>((resolve, reject) => {
      this.finished = resolve;
      this.failed = reject;
    });
    this.done.catch(() => {}); // observed by whoever awaits it
  }

  /** The gallery changed: track votes start afresh against it. */
  galleryChanged(): void {
    this.trackers.resetVotes();
  }

  async start(): Promise<void> {
    const { kafka, settings } = this.options;
    await this.ownership.prepare?.();
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await this.producer.connect();

    const consumer = kafka.consumer({
      ...this.ownership.consumerConfig(),
      sessionTimeout: settings.sessionTimeoutMs,
      heartbeatInterval: settings.heartbeatIntervalMs,
      rebalanceTimeout: Math.max(2 * settings.sessionTimeoutMs, 10_000),
      maxWaitTimeInMs: settings.maxWaitMs,
      allowAutoTopicCreation: false,
      // kafkajs restarts a crashed consumer (broker gone for longer than its retries) unless told not
      // to; a crash while stopping must not start it again behind our back.
      retry: { restartOnFailure: async () => this.stopping === undefined },
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      const owned = [...(payload.memberAssignment[topics.frames] ?? [])].sort((a, b) => a - b);
      this.stats.ownedPartitions = owned;
      for (const partition of this.stats.lag.keys()) if (!owned.includes(partition)) this.stats.lag.delete(partition);
      this.log(`owns partitions [${owned.join(",")}] of ${topics.frames} (${this.ownership.kind}, group ${payload.groupId})`);
    });
    const restarted = restartAfterCrash(consumer, {
      stopped: () => this.stopping !== undefined,
      run: () => consumer.run(runConfig),
      log: (line) => this.log(line),
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (restarted(payload)) return;
      this.log(`consumer crashed: ${payload.error.message}${payload.restart ? " (restarting)" : ""}`);
      if (!payload.restart && this.stopping === undefined) this.failed(payload.error);
    });
    await consumer.connect();
    // A new group starts at the oldest frame; stale ones are skipped (counted) without decoding.
    await consumer.subscribe({ topics: [topics.frames], fromBeginning: true });
    const runConfig: Parameters<Consumer["run"]>[0] = {
      autoCommit: true,
      autoCommitInterval: settings.commitIntervalMs > 0 ? settings.commitIntervalMs : null,
      autoCommitThreshold: settings.commitIntervalMs > 0 ? null : 1,
      eachBatchAutoResolve: false,
      // With framesInFlight 2, two partitions' batches run at once, and inside a batch the next frame is decoded and
      // detected while this one is recognised: each partition's frames still finish (and are acknowledged) in order.
      partitionsConsumedConcurrently: settings.framesInFlight,
      eachBatch: async ({ batch, resolveOffset, heartbeat, commitOffsetsIfNecessary, isRunning, isStale }) => {
        const { topic, partition, messages } = batch;
        this.observeHead(topic, partition, messages.at(-1), batch.highWatermark);
        const started = new Map<number, StartedFrame>();
        const start = (i: number) => {
          const message = messages[i];
          if (message && !started.has(i)) started.set(i, this.startFrame(topic, partition, message));
        };
        for (let i = 0; i < messages.length; i++) {
          const message = messages[i] as KafkaMessage;
          if (!isRunning() || isStale()) break;
          for (let ahead = 0; ahead < settings.framesInFlight; ahead++) start(i + ahead);
          await this.handle(topic, partition, message, started.get(i) as StartedFrame);
          started.delete(i);
          resolveOffset(message.offset); // only now: its outputs are acknowledged
          // Frames behind this one in the partition when the batch was fetched (health's lag per partition).
          this.stats.lag.set(partition, Math.max(0, Number(batch.highWatermark) - Number(message.offset) - 1));
          await commitOffsetsIfNecessary();
          await heartbeat();
        }
      },
    };
    await consumer.run(runConfig);
    this.detach = this.ownership.attach?.(consumer, {
      // stop() lets the batch in flight finish and commits its resolved offsets, then leaves the group.
      rejoin: async (reason) => {
        if (this.stopping) return;
        this.log(`leaving and rejoining ${topics.frames}'s group: ${reason}`);
        await consumer.stop();
        if (!this.stopping) await consumer.run(runConfig);
      },
    });
    this.timers.push(setInterval(() => void this.sweep(), Math.min(1000, settings.track.lostAfterMs)));
    if (settings.statsLogIntervalMs > 0) this.timers.push(setInterval(() => this.log(this.stats.summary()), settings.statsLogIntervalMs));
    for (const timer of this.timers) timer.unref();
  }

  /**
   * Graceful stop: no more fetches, the frame in flight finishes and is acknowledged, acknowledged
   * offsets are committed, the group is left (its partitions move at once); open tracks end with
   * person_left; then the producer flushes and disconnects.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const timer of this.timers) clearInterval(timer);
      this.timers = [];
      this.detach?.();
      await this.consumer?.disconnect();
      await this.ownership.close?.().catch(() => undefined);
      const ended = this.trackers.endAll();
      if (ended.length > 0 && this.producer) {
        await this.producer
          .send({
            topic: topics.events,
            acks: -1,
            messages: ended.map(({ camera, event }) => eventMessage(this.processor.stampEvent(camera, event))),
          })
          .then(() => this.stats.eventsSent(ended.length))
          .catch((error: Error) => this.log(`could not send ${ended.length} person_left event(s) on stop: ${error.message}`));
      }
      await this.producer?.disconnect();
      await this.options.detection?.close().catch(() => undefined);
      this.flushStaleNotes(true);
      this.finished();
    })();
    return this.stopping;
  }

  /** The last frame of a batch that reached the partition's end is its camera's newest: a sample of the clocks' difference. */
  private observeHead(topic: string, partition: number, message: KafkaMessage | undefined, highWatermark: string): void {
    if (!message || BigInt(message.offset) + 1n !== BigInt(highWatermark)) return;
    const now = Date.now();
    // Only a frame that passes the checks at the boundary counts (a bad one goes to the DLQ when its turn comes).
    const admission = admitFrame(topic, partition, message, { ...this.options.settings, maxFrameAgeMs: 0 }, now);
    if (admission.kind !== "frame") return;
    const { headers } = admission.frame;
    this.captureClock.observeHead(headers.camera, message.offset, now - headers["capture-time"]);
  }

  /** Admits a frame (frame-intake.ts) and, when it is to be processed, starts its decode and detect stages. */
  private startFrame(topic: string, partition: number, message: KafkaMessage): StartedFrame {
    const startedAt = Date.now();
    const admission = admitFrame(topic, partition, message, this.options.settings, startedAt, (camera) =>
      this.captureClock.offsetMs(camera),
    );
    if (admission.kind !== "frame") return { startedAt, admission };
    const detected = this.processor.detect(admission.frame);
    detected.catch(() => {}); // handled by handle(); a frame left behind by a stopped batch is simply dropped
    return { startedAt, admission, detected };
  }

  private async handle(topic: string, partition: number, message: KafkaMessage, frame: StartedFrame): Promise<void> {
    const { startedAt, admission } = frame;
    this.stats.frameIn(partition);
    if (admission.kind === "reject") return this.deadLetter(topic, partition, message, admission.stage, admission.reason);
    if (admission.kind === "stale") return this.skipStale(admission.frame.headers.camera, admission.ageMs);

    let processed: Awaited<ReturnType<FrameProcessor["process"]>>;
    try {
      processed = await this.processor.process(admission.frame, startedAt, frame.detected);
    } catch (error) {
      const stage: DlqStage = error instanceof DecodeError ? "decode" : "process";
      return this.deadLetter(topic, partition, message, stage, (error as Error).message.split("\n")[0] ?? String(error));
    }
    const t = performance.now();
    await this.requireProducer().sendBatch({ topicMessages: outputMessages(processed), acks: -1 });
    const produce = Math.round((performance.now() - t) * 10) / 10;
    this.stats.frameOut({ ...processed.timings, produce }, processed.annotated !== null, processed.events.length);
    this.stats.processed(admission.frame.headers.camera, processed.detection.faces.length);
    this.stats.embedded(processed.embeddings);
    this.stats.attributesRun += processed.attributesRun;
    for (const e of processed.events)
      if (e.type === "watchlist_hit")
        this.log(`watchlist hit: ${e.identity} on camera ${e.camera} (track ${e.trackId}, seq ${e.firstSeq}..${e.lastSeq})`);
  }

  private async deadLetter(topic: string, partition: number, message: KafkaMessage, stage: DlqStage, reason: string): Promise<void> {
    const record = { topic, partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers };
    const dlq = deadLetterMessage(record, { stage, reason }, this.options.agentId, this.options.settings.dlqMaxMessageBytes);
    await this.requireProducer().send({ topic: topics.dlq, acks: -1, messages: [dlq] });
    this.stats.deadLettered(stage);
    const now = Date.now();
    if (now - this.dlqLoggedAt >= 1000) {
      const more = this.dlqUnlogged > 0 ? ` (and ${this.dlqUnlogged} more since the last line)` : "";
      this.log(`frame ${topic}/${partition}@${message.offset} to ${topics.dlq} (${stage}): ${reason.slice(0, 300)}${more}`);
      this.dlqLoggedAt = now;
      this.dlqUnlogged = 0;
    } else this.dlqUnlogged++;
  }

  /** Counted always; logged at the first skip of a camera and then at most every 10 s per camera. */
  private skipStale(camera: string, ageMs: number): void {
    this.stats.stale(camera);
    const note = this.staleNotes.get(camera) ?? { count: 0, lastAgeMs: 0, loggedAt: 0 };
    note.count++;
    note.lastAgeMs = ageMs;
    this.staleNotes.set(camera, note);
    this.flushStaleNotes(false);
  }

  private flushStaleNotes(all: boolean): void {
    const now = Date.now();
    for (const [camera, note] of this.staleNotes) {
      if (note.count === 0 || (!all && now - note.loggedAt < 10_000)) continue;
      this.log(
        `skipped ${note.count} stale frame(s) of camera ${camera} (last was ${Math.round(note.lastAgeMs)} ms old, limit ${this.options.settings.maxFrameAgeMs} ms)`,
      );
      note.count = 0;
      note.loggedAt = now;
    }
  }

  private async sweep(): Promise<void> {
    this.flushStaleNotes(false);
    const ended = this.trackers.sweep();
    if (ended.length === 0 || !this.producer || this.stopping) return;
    try {
      const messages = ended.map(({ camera, event }) => eventMessage(this.processor.stampEvent(camera, event)));
      await this.producer.send({ topic: topics.events, acks: -1, messages });
      this.stats.eventsSent(ended.length);
    } catch (error) {
      this.log(`could not send ${ended.length} person_left event(s): ${(error as Error).message}`);
    }
  }

  private requireProducer(): Producer {
    if (!this.producer) throw new Error("worker not started");
    return this.producer;
  }
}
