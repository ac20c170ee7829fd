/**
 * Enrollment through the coordinator (the dashboard's people page): the gallery as the agents see it
 * (gallery-store.ts follows compacted facefleet.gallery), people listed, created, given photos and
 * deleted. Every change is published the way `facefleet gallery push|remove` does (kafka/gallery-publish.ts:
 * one record per identity keyed by name, idempotent producer, acks=all, the Java-compatible partitioner),
 * so the agents' gallery followers pick it up as a hot reload. Changes are applied one at a time.
 *
 * A photo goes decode → detect → the subject's face (recognition/dominant-face.ts, the rule `facefleet enroll`
 * uses) → align → embed (recognition/pipeline.ts). The models are loaded on the first photo, with the
 * recognizer family the gallery already uses (embeddings of different families don't compare), else the
 * settings' default.
 */
import kafkajs, { type Kafka, type Producer } from "kafkajs";
import { loadManifest } from "../../models/manifest.js";
import type { StreamMessage } from "../../protocol/api.js";
import type { PeopleList, PersonChange, PersonView, PhotoRejection } from "../../protocol/api-people.js";
import { encodeGalleryRecord, galleryTombstone } from "../../protocol/gallery-record.js";
import { topics } from "../../protocol/topics.js";
import { DecodeError } from "../../recognition/decode.js";
import { chooseEnrollmentFace, describeIgnored, type EnrollmentRefusal } from "../../recognition/dominant-face.js";
import type { GalleryEntry } from "../../recognition/gallery.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import type { RecognitionSettingsInput } from "../../recognition/recognition-settings.js";
import { ControlError } from "../control.js";
import { GalleryStore } from "./gallery-store.js";
import { ModelsUnavailableError, type PeopleControl, PhotoRejectedError } from "./people-control.js";

const { Partitioners } = kafkajs;

export type PeopleServiceOptions = {
  kafka: Kafka;
  /** Default facefleet.gallery. */
  topic?: string;
  /** How the models run (recognition/recognition-settings.ts); `recognizer` unset: the gallery's family. */
  recognition?: RecognitionSettingsInput;
  log: (line: string) => void;
  /** A `gallery` stream message after every change (this service's or anyone's push). */
  onChange?: (message: StreamMessage) => void;
  /** Reading the gallery topic to its end at start; default 30 s. */
  startTimeoutMs?: number;
  /** Embeddings one person may have; default 32. */
  maxPhotos?: number;
};

/** The API's name for each reason recognition/dominant-face.ts refuses a photo for. */
const PHOTO_REJECTION: Record<EnrollmentRefusal, PhotoRejection> = {
  "no-face": "no-face",
  ambiguous: "several-faces",
  "too-small": "face-too-small",
  blurred: "face-blurred",
  turned: "face-turned",
};

/** The reason `facefleet enroll` gives, as a sentence. */
const photoRejectionMessage = (reason: string) => `${reason.charAt(0).toUpperCase()}${reason.slice(1)}`;

/** How long a change waits to read its own record back before answering. */
const READ_BACK_MS = 15_000;

export class PeopleService implements PeopleControl {
  private readonly topic: string;
  private readonly store: GalleryStore;
  /** Created without photos yet: no record can carry them (a record needs an embedding). */
  private readonly pending = new Set<string>();
  private producer: Producer | undefined;
  private pipeline: Promise<RecognitionPipeline> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly maxPhotos: number;

  private constructor(private readonly options: PeopleServiceOptions) {
    this.topic = options.topic ?? topics.gallery;
    this.maxPhotos = options.maxPhotos ?? 32;
    this.store = new GalleryStore({
      kafka: options.kafka,
      topic: this.topic,
      log: options.log,
      onChange: (_store, changed) => {
        for (const name of changed) if (this.store.get(name)) this.pending.delete(name);
        this.emit();
      },
    });
  }

  /** Reads the gallery topic to its end and connects the producer. */
  static async start(options: PeopleServiceOptions): Promise<PeopleService> {
    const service = new PeopleService(options);
    try {
      await service.store.start(options.startTimeoutMs ?? 30_000);
      const producer = options.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      await producer.connect();
      service.producer = producer;
    } catch (error) {
      await service.stop();
      throw error;
    }
    return service;
  }

  get version(): number {
    return this.store.version;
  }

  list(): PeopleList {
    const published = this.store.list().map((identity) => this.view(identity.name));
    const waiting = [...this.pending].filter((name) => !this.store.get(name)).map((name) => this.view(name));
    const people = [...published, ...waiting].flatMap((p) => (p ? [p] : [])).sort((a, b) => a.name.localeCompare(b.name));
    return { version: this.store.version, people };
  }

  create(name: string): Promise<PersonChange> {
    return this.exclusive(async () => {
      if (this.store.get(name) || this.pending.has(name)) throw new ControlError("conflict", `person "${name}" already exists`);
      this.pending.add(name);
      this.options.log(`people: created "${name}" (no photos yet)`);
      this.emit();
      return { person: this.require(name), version: this.store.version };
    });
  }

  addPhoto(name: string, image: Buffer) {
    return this.exclusive(async () => {
      const before = this.require(name);
      if (before.photos >= this.maxPhotos)
        throw new ControlError("conflict", `person "${name}" has ${before.photos} photos already (at most ${this.maxPhotos})`);
      const pipeline = await this.loadPipeline();
      const recognizer = pipeline.recognizer;
      const existing = this.store.get(name);
      if (existing && (existing.recognizer.family !== recognizer.family || existing.recognizer.embeddingSize !== recognizer.embeddingSize))
        throw new ControlError(
          "conflict",
          `person "${name}" was enrolled with ${existing.recognizer.modelId} (${existing.recognizer.family}) but the coordinator runs ${recognizer.modelId}: delete and re-enroll`,
        );

      let analysis: Awaited<ReturnType<RecognitionPipeline["analyse"]>>;
      try {
        analysis = await pipeline.analyse(image);
      } catch (error) {
        if (error instanceof DecodeError)
          throw new PhotoRejectedError("bad-image", `${error.message} (expected a JPEG, PNG or WebP picture)`);
        throw error;
      }
      const choice = chooseEnrollmentFace(analysis.image, analysis.faces);
      if (!choice.accepted) throw new PhotoRejectedError(PHOTO_REJECTION[choice.refusal], photoRejectionMessage(choice.reason));
      const face = choice.face;

      const entry: GalleryEntry = { vector: face.embedding, source: `upload ${new Date().toISOString()}` };
      const embeddings = [...(existing?.embeddings ?? []), entry];
      // The whole record again, with whatever else it carries (corrections), plus the new embedding.
      await this.publish(encodeGalleryRecord({ ...(existing ?? { name }), name, embeddings }, recognizer));
      this.pending.delete(name);
      const ignored = choice.ignored.length > 0 ? ` (${describeIgnored(choice.ignored.length)})` : "";
      this.options.log(`people: photo ${embeddings.length} of "${name}" enrolled${ignored}; gallery version ${this.store.version}`);
      return { person: this.require(name), faces: 1 as const, backgroundFaces: choice.ignored.length, version: this.store.version };
    });
  }

  remove(name: string): Promise<PersonChange> {
    return this.exclusive(async () => {
      const person = this.require(name);
      if (this.store.get(name)) await this.publish(galleryTombstone(name));
      if (this.pending.delete(name)) this.emit();
      this.options.log(`people: deleted "${name}"; gallery version ${this.store.version}`);
      return { person, version: this.store.version };
    });
  }

  async stop(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
    await this.store.stop();
  }

  private view(name: string): PersonView | undefined {
    const identity = this.store.get(name);
    if (identity)
      return {
        name,
        photos: identity.embeddings.length,
        recognizer: identity.recognizer.modelId,
        updatedAt: Number.isFinite(Date.parse(identity.updatedAt)) ? Date.parse(identity.updatedAt) : null,
        published: true,
      };
    if (this.pending.has(name)) return { name, photos: 0, recognizer: null, updatedAt: null, published: false };
    return undefined;
  }

  private require(name: string): PersonView {
    const person = this.view(name);
    if (!person) throw new ControlError("not-found", `no person "${name}"`);
    return person;
  }

  private emit(): void {
    try {
      this.options.onChange?.({ type: "gallery", version: this.store.version, identities: this.store.size });
    } catch (error) {
      this.options.log(`people: change listener failed: ${(error as Error).message}`);
    }
  }

  /** Sends one record (acks=all) and waits until the store has read it back, so the answer shows it. */
  private async publish(message: { key: string; value: string | null }): Promise<void> {
    if (!this.producer) throw new Error("people service is stopped");
    const [sent] = await this.producer.send({ topic: this.topic, acks: -1, messages: [message] });
    if (!sent) return;
    const offset = Number(sent.baseOffset ?? sent.offset ?? -1);
    if (offset < 0) return;
    if (!(await this.store.waitFor(sent.partition, offset, READ_BACK_MS)))
      this.options.log(`people: ${this.topic}[${sent.partition}]@${offset} not read back within ${READ_BACK_MS / 1000} s`);
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The models, loaded once (a failed load is retried on the next photo). */
  private loadPipeline(): Promise<RecognitionPipeline> {
    this.pipeline ??= this.openPipeline().catch((error: Error) => {
      this.pipeline = undefined;
      throw new ModelsUnavailableError(`cannot load the recognition models: ${error.message.split("\n")[0]}`);
    });
    return this.pipeline;
  }

  private async openPipeline(): Promise<RecognitionPipeline> {
    const settings = this.options.recognition ?? {};
    let pipeline = await RecognitionPipeline.load(settings);
    const wanted = this.galleryRecognizer();
    if (settings.recognizer === undefined && wanted && wanted.family !== pipeline.recognizer.family) {
      // The gallery was enrolled with another family: embed with it too, or the agents could not compare.
      const models = loadManifest().models;
      const candidates = Object.entries(models).filter(([, m]) => m.role === "recognizer" && "family" in m && m.family === wanted.family);
      const id = candidates.find(([candidate]) => candidate === wanted.modelId)?.[0] ?? candidates[0]?.[0];
      if (id === undefined)
        throw new Error(`the gallery was enrolled with ${wanted.modelId} (${wanted.family}), which is not in models/manifest.json`);
      pipeline = await RecognitionPipeline.load({ ...settings, recognizer: id });
    }
    const describe = pipeline.describe().map((m) => `${m.role} ${m.model} on ${m.provider}`);
    this.options.log(`people: models loaded (${describe.join(", ")})`);
    return pipeline;
  }

  /** The recognizer most of the gallery's identities were enrolled with; null for an empty gallery. */
  private galleryRecognizer(): { family: string; modelId: string } | null {
    const counts = new Map<string, { family: string; modelId: string; count: number }>();
    for (const identity of this.store.list()) {
      const key = identity.recognizer.family;
      const known = counts.get(key) ?? { family: key, modelId: identity.recognizer.modelId, count: 0 };
      known.count++;
      counts.set(key, known);
    }
    let best: { family: string; modelId: string; count: number } | null = null;
    for (const candidate of counts.values()) if (!best || candidate.count > best.count) best = candidate;
    return best;
  }
}
