/**
 * The one reader of the compacted facefleet.gallery topic (protocol/gallery-record.ts): read to its end at start,
 * then followed, records applied in offset order (per partition; an identity's records all lie in one partition,
 * keyed by name). A consumer group of its own (fresh id per start, nothing committed, deleted on stop), so every
 * reader sees every record. Every identity is kept, whatever recognizer made it (matching-gallery.ts filters for
 * one recognizer); a tombstone deletes the identity.
 *
 * `version` is the topic position read (sum over partitions of last offset + 1), the gallery version every
 * detection carries. Each identity also has its own `revision`: the offset of the record it was read from, which
 * only grows (Kafka assigns it; compaction keeps the newest record of a name).
 */
import type { Kafka, KafkaMessage } from "kafkajs";
import { startTopicReader, type TopicReader } from "../kafka/topic-reader.js";
import { decodeGalleryRecord } from "../protocol/gallery-record.js";
import type { Identity, RecognizerStamp } from "../recognition/gallery.js";

/** An identity as the topic holds it now. */
export type HeldIdentity = Identity & {
  recognizer: RecognizerStamp;
  updatedAt: string;
  /** The offset of the record it was read from (in its partition): grows with every record of this name. */
  revision: number;
};

/** What one batch of records changed. */
export type GalleryReaderChange = {
  /** The reader's version after the batch. */
  version: number;
  upserted: string[];
  deleted: string[];
  /** Keys of records that could not be decoded (logged and skipped). */
  skipped: string[];
  /** True while the topic is read to its end at start. */
  initial: boolean;
};

/** One record as applied: the writer (gallery-writer.ts) reads its own writes back by `tag`. */
export type AppliedRecord = {
  name: string;
  partition: number;
  offset: number;
  tag: string | undefined;
  /** What the record made of the identity: undefined for a tombstone (or a record skipped). */
  identity: HeldIdentity | undefined;
};

/** The header a writer puts on its records to find them again when the reader applies them. */
export const WRITE_TAG_HEADER = "facefleet-write";

export type GalleryReaderOptions = {
  kafka: Kafka;
  topic: string;
  /** Names the consumer group: `facefleet-<clientName>-<random>`. */
  clientName: string;
  /** How long the broker holds a fetch for new records (default 250 ms). */
  maxWaitTimeInMs?: number;
  log?: (line: string) => void;
};

type Waiter = { partition: number; offset: number; resolve: (reached: boolean) => void };

export class GalleryReader {
  private readonly identities = new Map<string, HeldIdentity>();
  private readonly positions = new Map<number, number>();
  private readonly waiters = new Set<Waiter>();
  private readonly changeListeners = new Set<(change: GalleryReaderChange) => void>();
  private readonly recordListeners = new Set<(record: AppliedRecord) => void>();
  private reader: TopicReader | undefined;
  private read = 0;
  private started = false;

  constructor(private readonly options: GalleryReaderOptions) {}

  get topic(): string {
    return this.options.topic;
  }

  /** The topic position read so far (0 before the start). */
  get version(): number {
    return this.read;
  }

  get size(): number {
    return this.identities.size;
  }

  /** Sorted. */
  get names(): string[] {
    return [...this.identities.keys()].sort();
  }

  get(name: string): HeldIdentity | undefined {
    return this.identities.get(name);
  }

  /** Sorted by name. */
  list(): HeldIdentity[] {
    return [...this.identities.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The identities held now, by name, in brief. */
  entries(): { name: string; embeddings: number; recognizer: string; updatedAt: string }[] {
    return this.list().map((i) => ({
      name: i.name,
      embeddings: i.embeddings.length,
      recognizer: i.recognizer.modelId,
      updatedAt: i.updatedAt,
    }));
  }

  /** After every batch that changed something (also while reading to the end at start: see `initial`). Returns the unsubscribe function. */
  onChange(listener: (change: GalleryReaderChange) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** After every record applied, skipped ones included. Returns the unsubscribe function. */
  onRecord(listener: (record: AppliedRecord) => void): () => void {
    this.recordListeners.add(listener);
    return () => this.recordListeners.delete(listener);
  }

  /** Reads the topic to the end it has now, then keeps following it. Throws when the topic is missing or the end is not reached in time. */
  async start(timeoutMs: number): Promise<void> {
    const { kafka, topic } = this.options;
    this.reader = await startTopicReader({
      kafka,
      topic,
      clientName: this.options.clientName,
      fromBeginning: true,
      ...(this.options.maxWaitTimeInMs !== undefined ? { maxWaitTimeInMs: this.options.maxWaitTimeInMs } : {}),
      what: "gallery topic",
      onBatch: ({ partition, messages, total }) => this.applyBatch(partition, messages, total),
    });
    try {
      await this.reader.waitCaughtUp(
        timeoutMs,
        `could not read gallery topic ${topic} to its end within ${Math.round(timeoutMs / 1000)} s`,
      );
      this.started = true;
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  /** Resolves true once the record at `offset` of `partition` has been applied, false after `timeoutMs`. */
  waitFor(partition: number, offset: number, timeoutMs: number): Promise<boolean> {
    if ((this.positions.get(partition) ?? 0) > offset) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        partition,
        offset,
        resolve: (reached) => {
          clearTimeout(timer);
          this.waiters.delete(waiter);
          resolve(reached);
        },
      };
      const timer = setTimeout(() => waiter.resolve(false), timeoutMs);
      this.waiters.add(waiter);
    });
  }

  async stop(): Promise<void> {
    for (const waiter of [...this.waiters]) waiter.resolve(false);
    const reader = this.reader;
    this.reader = undefined;
    await reader?.stop();
  }

  private applyBatch(partition: number, messages: KafkaMessage[], total: number): void {
    this.read = total;
    const change: GalleryReaderChange = { version: total, upserted: [], deleted: [], skipped: [], initial: !this.started };
    const applied: AppliedRecord[] = [];
    for (const message of messages) {
      const offset = Number(message.offset);
      const name = this.apply(message, offset, change);
      const tag = message.headers?.[WRITE_TAG_HEADER];
      const identity = this.identities.get(name);
      applied.push({
        name,
        partition,
        offset,
        tag: tag === undefined ? undefined : tag.toString(),
        identity: identity?.revision === offset ? identity : undefined,
      });
    }
    const last = messages.at(-1);
    if (last) this.positions.set(partition, Number(last.offset) + 1);
    if (change.upserted.length + change.deleted.length + change.skipped.length > 0)
      for (const listener of this.changeListeners) this.notify(() => listener(change));
    for (const record of applied) for (const listener of this.recordListeners) this.notify(() => listener(record));
    for (const waiter of [...this.waiters]) if ((this.positions.get(waiter.partition) ?? 0) > waiter.offset) waiter.resolve(true);
  }

  /** Applies one record; returns the name it concerns. */
  private apply(message: KafkaMessage, offset: number, change: GalleryReaderChange): string {
    let decoded: ReturnType<typeof decodeGalleryRecord>;
    try {
      decoded = decodeGalleryRecord(message.key, message.value);
    } catch (error) {
      const reason = (error as Error).message.replace(/[^\x20-\x7e]/g, "?");
      this.options.log?.(`gallery: record skipped (offset ${offset}): ${reason.length > 300 ? `${reason.slice(0, 300)}…` : reason}`);
      const key = message.key?.toString() ?? "(no key)";
      change.skipped.push(key);
      return key;
    }
    if (decoded.kind === "delete") {
      this.identities.delete(decoded.name);
      change.deleted.push(decoded.name);
    } else {
      this.identities.set(decoded.name, {
        ...decoded.identity,
        recognizer: decoded.recognizer,
        updatedAt: decoded.updatedAt,
        revision: offset,
      });
      change.upserted.push(decoded.name);
    }
    return decoded.name;
  }

  private notify(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.options.log?.(`gallery: change listener failed: ${(error as Error).message}`);
    }
  }
}
