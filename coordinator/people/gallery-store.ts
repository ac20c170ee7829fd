/**
 * The coordinator's copy of the compacted facefleet.gallery topic (protocol/gallery-record.ts), with the
 * embeddings (the people service republishes a person's whole record when a photo is added). Like the
 * agents' follower (agent/worker/gallery-follower.ts): read to its end at start, then followed; a consumer
 * group of its own (fresh id, nothing committed, deleted on stop); `version` is the topic position read
 * (sum over partitions of last offset + 1), the same number the agents report. Every identity is kept,
 * whatever recognizer made it.
 */
import { randomUUID } from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import { FacefleetError } from "../../cli/errors.js";
import { deleteReaderGroup } from "../../kafka/delete-reader-group.js";
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
  private readonly groupId = `facefleet-coordinator-gallery-${randomUUID().slice(0, 8)}`;
  private consumer: Consumer | undefined;
  private started = false;

  constructor(private readonly options: GalleryStoreOptions) {}

  get version(): number {
    let sum = 0;
    for (const position of this.positions.values()) sum += position;
    return sum;
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
    const admin = kafka.admin();
    await admin.connect();
    let ends: Map<number, number>;
    try {
      if (!(await admin.listTopics()).includes(topic))
        throw new FacefleetError(`gallery topic ${topic} does not exist: run facefleet topics ensure`);
      const offsets = await admin.fetchTopicOffsets(topic);
      ends = new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
    } finally {
      await admin.disconnect();
    }
    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    const check = () => {
      for (const [partition, end] of ends) if ((this.positions.get(partition) ?? 0) < end) return;
      caughtUp();
    };

    this.consumer = kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: false,
      retry: { restartOnFailure: async () => this.consumer !== undefined },
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await this.consumer.connect();
      await this.consumer.subscribe({ topics: [topic], fromBeginning: true });
      await this.consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch, heartbeat }) => {
          const changed: string[] = [];
          for (const message of batch.messages) {
            const name = this.apply(message.key, message.value);
            if (name !== undefined) changed.push(name);
          }
          this.positions.set(batch.partition, Number(batch.lastOffset()) + 1);
          if (this.started && changed.length > 0) {
            try {
              this.options.onChange?.(this, changed);
            } catch (error) {
              this.options.log(`gallery: change listener failed: ${(error as Error).message}`);
            }
          }
          this.wake();
          check();
          await heartbeat();
        },
      });
      check();
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new FacefleetError(`could not read gallery topic ${topic} to its end within ${Math.round(timeoutMs / 1000)} s`)),
          timeoutMs,
        );
      });
      await Promise.race([ready, timeout]);
      this.started = true;
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      clearTimeout(timer);
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
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    await consumer.disconnect().catch(() => undefined);
    await deleteReaderGroup(this.options.kafka, this.groupId);
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
