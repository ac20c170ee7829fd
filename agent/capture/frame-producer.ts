/**
 * Frames to facefleet.frames through a bounded "newest wins" queue.
 *
 * offer() never blocks and never fails: the capture loop hands a frame over and goes on. A send
 * loop drains the queue into a kafkajs producer (idempotent, acks=all, key = camera id, headers
 * of protocol/frame-headers.ts; the partition is the one the coordinator's plan places the camera on,
 * else the key hash). When the broker is slow or down the queue fills; then the OLDEST
 * queued frame is dropped for each new one and counted: a live view wants the newest picture, not
 * a backlog. A batch that kafkajs gave up on goes back to the front of the queue (it is older than
 * everything queued, so it is first to be dropped), the producer is thrown away and a new one is
 * connected after a backoff: the producer reconnects on its own, forever, until close().
 */
import kafkajs, { type Kafka, type Producer } from "kafkajs";
import { encodeFrameHeaders } from "../../protocol/frame-headers.js";
import { topics } from "../../protocol/topics.js";
import { abortableSleep } from "./abortable-sleep.js";
import type { CapturedFrame } from "./frame.js";

const { Partitioners } = kafkajs;

export type FrameProducerOptions = {
  /** The producing agent, sent in every frame's `producer` header. */
  producerId: string;
  topic?: string;
  /** Frames waiting to be sent; beyond this the oldest is dropped. */
  maxQueue?: number;
  /** One produce request per partition holds at most this much (brokers refuse batches over message.max.bytes, 1 MiB by default). */
  maxBatchBytes?: number;
  /** Backoff before a new producer after a failure: min doubling to max. */
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** The partition the plan places a camera on (undefined: the key hash decides). Read at each send. */
  partitionOf?: (camera: string) => number | undefined;
  /** A line worth logging: connection lost/regained, a frame refused by the broker. */
  onNotice?: (line: string) => void;
};

export type FrameProducerStats = {
  /** Frames acknowledged by the broker (acks=all). */
  sent: number;
  /** Frames dropped: pushed out of a full queue, refused by the broker, or still queued at close. */
  dropped: number;
  /** Failed produce/connect attempts. */
  errors: number;
  queueDepth: number;
  inFlight: number;
  connected: boolean;
  reconnects: number;
  lastError?: string;
};

type Entry = { camera: string; seq: number; frame: CapturedFrame };

export class FrameProducer {
  private readonly topic: string;
  private readonly maxQueue: number;
  private maxBatchBytes: number;
  private readonly minBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly queue: Entry[] = [];
  private inFlight: Entry[] = [];
  private producer: Producer | undefined;
  private connected = false;
  private stopping = false;
  private abandoned = false;
  private wakeUp: (() => void) | undefined;
  private readonly abort = new AbortController();
  private readonly loop: Promise<void>;
  private counters = { sent: 0, dropped: 0, errors: 0, reconnects: 0 };
  private lastError: string | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly options: FrameProducerOptions,
  ) {
    this.topic = options.topic ?? topics.frames;
    this.maxQueue = Math.max(1, options.maxQueue ?? 30);
    this.maxBatchBytes = options.maxBatchBytes ?? 768 * 1024;
    this.minBackoffMs = options.minBackoffMs ?? 500;
    this.maxBackoffMs = options.maxBackoffMs ?? 10_000;
    this.loop = this.run();
  }

  /** Queues a frame; when the queue is full the oldest queued frame is dropped. Never blocks. */
  offer(camera: string, seq: number, frame: CapturedFrame): void {
    if (this.stopping) {
      this.counters.dropped++;
      return;
    }
    this.queue.push({ camera, seq, frame });
    this.trim();
    this.wakeUp?.();
  }

  stats(): FrameProducerStats {
    return {
      ...this.counters,
      queueDepth: this.queue.length,
      inFlight: this.inFlight.length,
      connected: this.connected,
      ...(this.lastError === undefined ? {} : { lastError: this.lastError }),
    };
  }

  private placed(camera: string): { partition?: number } {
    const partition = this.options.partitionOf?.(camera);
    return partition === undefined ? {} : { partition };
  }

  /** Seqs waiting in the queue, oldest first (health reports, tests). */
  queuedSeqs(): number[] {
    return this.queue.map((e) => e.seq);
  }

  /**
   * Stops accepting frames, sends what is queued for up to timeoutMs, then gives up on the rest
   * (counted as dropped) and disconnects.
   */
  async close(timeoutMs = 10_000): Promise<FrameProducerStats> {
    this.stopping = true;
    this.wakeUp?.();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), timeoutMs);
    });
    const result = await Promise.race([this.loop.then(() => "done" as const), timedOut]);
    clearTimeout(timer);
    if (result === "timeout") {
      this.abandoned = true;
      this.abort.abort();
      this.counters.dropped += this.queue.length + this.inFlight.length;
      this.queue.length = 0;
      this.inFlight = [];
    }
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
    this.connected = false;
    return this.stats();
  }

  private trim(): void {
    while (this.queue.length > this.maxQueue) {
      this.queue.shift();
      this.counters.dropped++;
    }
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.abandoned) {
      if (this.queue.length === 0) {
        if (this.stopping) return;
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
        });
        this.wakeUp = undefined;
        continue;
      }
      try {
        const producer = await this.connectedProducer();
        if (this.abandoned) return;
        const batch = this.takeBatch();
        this.inFlight = batch;
        await producer.send({
          topic: this.topic,
          acks: -1,
          messages: batch.map((e) => ({
            key: e.camera,
            ...this.placed(e.camera),
            value: e.frame.jpeg,
            timestamp: String(e.frame.captureTime),
            headers: encodeFrameHeaders({
              camera: e.camera,
              seq: e.seq,
              "capture-time": e.frame.captureTime,
              width: e.frame.width,
              height: e.frame.height,
              format: "jpeg",
              producer: this.options.producerId,
            }),
          })),
        });
        if (this.abandoned) return;
        this.counters.sent += batch.length;
        this.inFlight = [];
        if (failures > 0) this.options.onNotice?.(`broker reachable again; sending (${this.queue.length} queued)`);
        failures = 0;
      } catch (error) {
        if (this.abandoned) return;
        this.counters.errors++;
        failures++;
        const message = describe(error);
        this.lastError = message;
        const batch = this.inFlight;
        this.inFlight = [];
        if (isTooLarge(error)) {
          if (batch.length === 1) {
            this.counters.dropped++;
            this.options.onNotice?.(`frame ${batch[0]?.camera}/${batch[0]?.seq} refused by the broker: ${message}; dropped`);
          } else {
            this.maxBatchBytes = Math.max(1, Math.floor(this.maxBatchBytes / 2));
            this.queue.unshift(...batch);
            this.trim();
          }
          continue;
        }
        // Back to the front: these are the oldest frames, first to go if the queue overflows.
        this.queue.unshift(...batch);
        this.trim();
        const delay = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** Math.min(failures - 1, 10));
        if (failures === 1 || failures % 10 === 0)
          this.options.onNotice?.(
            `cannot send frames (${message}); retrying in ${delay} ms, dropping the oldest when ${this.maxQueue} are queued`,
          );
        await this.discardProducer();
        await abortableSleep(delay, this.abort.signal);
      }
    }
  }

  private async connectedProducer(): Promise<Producer> {
    if (this.producer && this.connected) return this.producer;
    const producer = this.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      retry: { retries: 5, initialRetryTime: 200, maxRetryTime: 5000 },
    });
    this.producer = producer;
    if (this.counters.sent > 0 || this.counters.errors > 0) this.counters.reconnects++;
    await producer.connect();
    this.connected = true;
    return producer;
  }

  private async discardProducer(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    this.connected = false;
    await producer?.disconnect().catch(() => undefined);
  }

  /** The oldest frames, up to maxBatchBytes (always at least one). */
  private takeBatch(): Entry[] {
    let bytes = 0;
    let n = 0;
    for (const e of this.queue) {
      if (n > 0 && bytes + e.frame.jpeg.length > this.maxBatchBytes) break;
      bytes += e.frame.jpeg.length;
      n++;
    }
    return this.queue.splice(0, n);
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = (error as { cause?: unknown }).cause;
  const base = error.message.split("\n")[0] ?? error.name;
  return cause instanceof Error && !base.includes(cause.message) ? `${base} (${cause.message.split("\n")[0]})` : base;
}

function isTooLarge(error: unknown): boolean {
  for (let e = error as { type?: string; cause?: unknown } | undefined; e; e = e.cause as typeof e) {
    if (e.type === "MESSAGE_TOO_LARGE" || e.type === "RECORD_LIST_TOO_LARGE") return true;
  }
  return false;
}
