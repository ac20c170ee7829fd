import type { Kafka } from "kafkajs";
import { startTopicReader, type TopicReader } from "../../kafka/topic-reader.js";
import { decodeGalleryRecord } from "../../protocol/gallery-record.js";
import type { Gallery, Identity, RecognizerStamp } from "../../recognition/gallery.js";
import { countMatchableIdentities } from "../../recognition/gallery-threshold.js";
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
  /**
   * Cosine distance threshold of the matcher: a number, or a function of the number of identities that can be
   * matched, asked again on every rebuild (the threshold that fits the gallery follows its size).
   */
  threshold: number | ((identities: number) => number);
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
  private currentMatcher: FaceMatcher;
  private reader: TopicReader | undefined;
  private read = 0;

  constructor(private readonly options: GalleryFollowerOptions) {
    this.currentMatcher = this.buildMatcher();
  }

  /** The topic position read so far (0 before the start). */
  get version(): number {
    return this.read;
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

  /** The distance threshold of the current matcher. */
  get threshold(): number {
    return this.currentMatcher instanceof GalleryMatcher ? this.currentMatcher.threshold : Number.NaN;
  }

  /** Rebuilt on every change; callers take it per frame, so a frame is matched against one gallery. */
  get matcher(): FaceMatcher {
    return this.currentMatcher;
  }

  /** Reads the topic to its end (the high watermarks at the time of the call), then keeps following it. */
  async start(timeoutMs: number): Promise<void> {
    const { kafka, topic } = this.options;
    this.reader = await startTopicReader({
      kafka,
      topic,
      clientName: `gallery-${this.options.agentId}`,
      fromBeginning: true,
      what: "gallery topic",
      onBatch: ({ messages, total }) => {
        this.read = total;
        const note: GalleryChangeNote = { version: 0, identities: 0, upserted: [], deleted: [], ignored: [] };
        for (const message of messages) this.apply(message.key, message.value, note);
        if (note.upserted.length + note.deleted.length + note.ignored.length > 0) {
          this.currentMatcher = this.buildMatcher();
          note.version = this.version;
          note.identities = this.identities.size;
          this.options.onChange?.(note);
        }
      },
    });
    try {
      await this.reader.waitCaughtUp(timeoutMs, `could not read gallery topic ${topic} to its end within ${Math.round(timeoutMs / 1000)}s`);
    } catch (error) {
      await this.stop();
      throw error;
    }
  }

  async stop(): Promise<void> {
    const reader = this.reader;
    this.reader = undefined;
    await reader?.stop();
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
    const { threshold } = this.options;
    return new GalleryMatcher(gallery, typeof threshold === "number" ? threshold : threshold(countMatchableIdentities(gallery.identities)));
  }
}
