/**
 * The coordinator's copy of the compacted facefleet.gallery topic (protocol/gallery-record.ts), with the
 * embeddings (the people service republishes a person's whole record when a photo is added). Like the
 * agents' follower (agent/worker/gallery-follower.ts): read to its end at start, then followed; a consumer
 * group of its own (fresh id, nothing committed, deleted on stop); `version` is the topic position read
 * (sum over partitions of last offset + 1), the same number the agents report. Every identity is kept,
 * whatever recognizer made it.
 */
import type { Kafka } from "kafkajs";
import { startTopicReader, type TopicReader } from "../../kafka/topic-reader.js";
import { decodeGalleryRecord } from "../../protocol/gallery-record.js";
import type { Identity, RecognizerStamp } from "../../recognition/gallery.js";

export type StoredIdentity = Identity & { recognizer: RecognizerStamp; updatedAt: string };

export type GalleryStoreOptions = {
  kafka: Kafka;
  topic: string;
  log: (line: string) => void;
  /** After a batch of records changed identities (not called while reading to the end at start). */
  onChange?: (store: GalleryStore, changed: string[]) => void;
};

type Waiter = { partition: number; offset: number; resolve: (reached: boolean) => void };

export class GalleryStore {
  private readonly identities = new Map<string, StoredIdentity>();
  private readonly positions = new Map<number, number>();
  private readonly waiters = new Set<Waiter>();
  private reader: TopicReader | undefined;
  private read = 0;
  private started = false;

  constructor(private readonly options: GalleryStoreOptions) {}

  get version(): number {
    return this.read;
  }

  get size(): number {
    return this.identities.size;
  }

  get(name: string): StoredIdentity | undefined {
    return this.identities.get(name);
  }

  /** Sorted by name. */
  list(): StoredIdentity[] {
    return [...this.identities.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** Reads the topic to the end it has now, then keeps following it. Throws when the topic is missing or the end is not reached in time. */
  async start(timeoutMs: number): Promise<void> {
    const { kafka, topic } = this.options;
    this.reader = await startTopicReader({
      kafka,
      topic,
      clientName: "coordinator-gallery",
      fromBeginning: true,
      maxWaitTimeInMs: 100,
      what: "gallery topic",
      onBatch: ({ partition, messages, total }) => {
        const changed: string[] = [];
        for (const message of messages) {
          const name = this.apply(message.key, message.value);
          if (name !== undefined) changed.push(name);
        }
        this.read = total;
        const last = messages.at(-1);
        if (last) this.positions.set(partition, Number(last.offset) + 1);
        if (this.started && changed.length > 0) {
          try {
            this.options.onChange?.(this, changed);
          } catch (error) {
            this.options.log(`gallery: change listener failed: ${(error as Error).message}`);
          }
        }
        this.wake();
      },
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

  private wake(): void {
    for (const waiter of [...this.waiters]) if ((this.positions.get(waiter.partition) ?? 0) > waiter.offset) waiter.resolve(true);
  }

  /** The name the record changed, or undefined for a record skipped. */
  private apply(key: Buffer | null, value: Buffer | null): string | undefined {
    let change: ReturnType<typeof decodeGalleryRecord>;
    try {
      change = decodeGalleryRecord(key, value);
    } catch (error) {
      this.options.log(`gallery: record skipped: ${(error as Error).message}`);
      return undefined;
    }
    if (change.kind === "delete") this.identities.delete(change.name);
    else this.identities.set(change.name, { ...change.identity, recognizer: change.recognizer, updatedAt: change.updatedAt });
    return change.name;
  }
}
