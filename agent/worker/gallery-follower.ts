import { randomUUID } from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import { FacefleetError } from "../../cli/errors.js";
import { deleteReaderGroup } from "../../kafka/delete-reader-group.js";
import { decodeGalleryRecord } from "../../protocol/gallery-record.js";
import type { Gallery, Identity, RecognizerStamp } from "../../recognition/gallery.js";
import { type FaceMatcher, GalleryMatcher } from "../../recognition/match.js";

export type GalleryChangeNote = { version: number; identities: number; upserted: string[]; deleted: string[]; ignored: string[] };

export type GalleryFollowerOptions = {
  kafka: Kafka;
  topic: string;
  agentId: string;
  /**
   * The loaded recognizer: identities enrolled with another family are ignored (their embeddings don't
   * compare). Null: keep every identity and match nothing (for listing the topic).
   */
  recognizer: RecognizerStamp | null;
  /** Cosine distance threshold of the matcher. */
  threshold: number;
  log?: (line: string) => void;
  onChange?: (note: GalleryChangeNote) => void;
};

/**
 * The agent's copy of the compacted facefleet.gallery topic (protocol/gallery-record.ts): read to its
 * end before the worker starts, then followed, so a push is matched against within about a fetch
 * wait (hot reload, no restart). Every agent reads the whole topic: its consumer group is its own
 * (a fresh id per start, nothing committed, deleted on stop).
 *
 * `version` is the topic position read so far (sum over partitions of last offset + 1), the gallery
 * version every detection carries.
 */
export class GalleryFollower {
  private readonly identities = new Map<string, Identity & { recognizer: RecognizerStamp; updatedAt: string }>();
  private readonly positions = new Map<number, number>();
  private currentMatcher: FaceMatcher;
  private consumer: Consumer | undefined;
  private readonly groupId: string;

  constructor(private readonly options: GalleryFollowerOptions) {
    this.groupId = `facefleet-gallery-${options.agentId}-${randomUUID().slice(0, 8)}`;
    this.currentMatcher = this.buildMatcher();
  }

  get version(): number {
    let sum = 0;
    for (const position of this.positions.values()) sum += position;
    return sum;
  }

  get size(): number {
    return this.identities.size;
  }

  get names(): string[] {
    return [...this.identities.keys()].sort();
  }

  /** The identities held now, by name. */
  entries(): { name: string; embeddings: number; recognizer: string; updatedAt: string }[] {
    return [...this.identities.values()]
      .map((i) => ({ name: i.name, embeddings: i.embeddings.length, recognizer: i.recognizer.modelId, updatedAt: i.updatedAt }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  /** One identity as held now (embeddings, rejects, recognizer), undefined when absent. */
  get(name: string): (Identity & { recognizer: RecognizerStamp; updatedAt: string }) | undefined {
    return this.identities.get(name);
  }

  /** Rebuilt on every change; callers take it per frame, so a frame is matched against one gallery. */
  get matcher(): FaceMatcher {
    return this.currentMatcher;
  }

  /** Reads the topic to its end (the high watermarks at the time of the call), then keeps following it. */
  async start(timeoutMs: number): Promise<void> {
    const { kafka, topic } = this.options;
    const admin = kafka.admin();
    await admin.connect();
    let ends: Map<number, number>;
    try {
      const existing = await admin.listTopics();
      if (!existing.includes(topic)) throw new FacefleetError(`gallery topic ${topic} does not exist: run facefleet topics ensure`);
      const offsets = await admin.fetchTopicOffsets(topic);
      ends = new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
    } finally {
      await admin.disconnect();
    }

    let caughtUp!: () => void;
    const ready = new Promise<void>((resolve) => {
      caughtUp = resolve;
    });
    const checkCaughtUp = () => {
      for (const [partition, end] of ends) if ((this.positions.get(partition) ?? 0) < end) return;
      caughtUp();
    };

    this.consumer = kafka.consumer({
      groupId: this.groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 250,
      // Restart after a crash (e.g. the broker was away), but never once stopped.
      retry: { restartOnFailure: async () => this.consumer !== undefined },
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topics: [topic], fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        const note: GalleryChangeNote = { version: 0, identities: 0, upserted: [], deleted: [], ignored: [] };
        for (const message of batch.messages) this.apply(message.key, message.value, note);
        this.positions.set(batch.partition, Number(batch.lastOffset()) + 1);
        if (note.upserted.length + note.deleted.length + note.ignored.length > 0) {
          this.currentMatcher = this.buildMatcher();
          note.version = this.version;
          note.identities = this.identities.size;
          this.options.onChange?.(note);
        }
        checkCaughtUp();
        await heartbeat();
      },
    });
    checkCaughtUp();

    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new FacefleetError(`could not read gallery topic ${topic} to its end within ${Math.round(timeoutMs / 1000)}s`)),
        timeoutMs,
      );
    });
    try {
      await Promise.race([ready, timeout]);
    } catch (error) {
      await this.stop();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = undefined;
    if (!consumer) return;
    await consumer.disconnect().catch(() => undefined);
    await deleteReaderGroup(this.options.kafka, this.groupId);
  }

  private apply(key: Buffer | null, value: Buffer | null, note: GalleryChangeNote): void {
    let change: ReturnType<typeof decodeGalleryRecord>;
    try {
      change = decodeGalleryRecord(key, value);
    } catch (error) {
      this.options.log?.(`gallery: record skipped: ${(error as Error).message}`);
      note.ignored.push(key?.toString() ?? "(no key)");
      return;
    }
    if (change.kind === "delete") {
      this.identities.delete(change.name);
      note.deleted.push(change.name);
      return;
    }
    const mine = this.options.recognizer;
    if (mine && (change.recognizer.family !== mine.family || change.recognizer.embeddingSize !== mine.embeddingSize)) {
      // The newest record of a name wins: an older usable one must not linger.
      this.identities.delete(change.name);
      note.ignored.push(change.name);
      this.options.log?.(
        `gallery: identity '${change.name}' was enrolled with ${change.recognizer.modelId} (${change.recognizer.family}); this agent runs ${mine.modelId} (${mine.family}): ignored, re-enroll with this model`,
      );
      return;
    }
    this.identities.set(change.name, { ...change.identity, recognizer: change.recognizer, updatedAt: change.updatedAt });
    note.upserted.push(change.name);
  }

  private buildMatcher(): FaceMatcher {
    const recognizer = this.options.recognizer ?? { family: "none", modelId: "none", embeddingSize: 1 };
    const gallery: Gallery = {
      recognizer,
      version: this.version,
      updatedAt: new Date().toISOString(),
      identities: this.options.recognizer ? [...this.identities.values()].sort((a, b) => a.name.localeCompare(b.name)) : [],
    };
    return new GalleryMatcher(gallery, this.options.threshold);
  }
}
