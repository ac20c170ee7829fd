/**
 * Enrollment through the coordinator (the dashboard's people page): the gallery as the agents see it (the
 * coordinator's one GalleryReader of compacted facefleet.gallery, gallery/gallery-reader.ts), people listed,
 * created, given photos and deleted. Every change goes through the coordinator's one GalleryWriter
 * (gallery/gallery-writer.ts), which the corrections share: a photo is added to the person's record as it is when
 * the write's turn comes, and read back before the answer, so an upload racing a correction loses neither. The
 * agents' readers pick it up as a hot reload. Changes are applied one at a time.
 *
 * A photo goes decode → detect → the subject's face (recognition/dominant-face.ts, the rule `facefleet enroll`
 * uses) → align → embed (recognition/pipeline.ts). The models are loaded on the first photo, with the
 * recognizer family the gallery already uses (embeddings of different families don't compare), else the
 * settings' default.
 */

import type { GalleryReader, GalleryReaderChange, HeldIdentity } from "../../gallery/gallery-reader.js";
import type { GalleryWriter } from "../../gallery/gallery-writer.js";
import { loadManifest } from "../../models/manifest.js";
import type { StreamMessage } from "../../protocol/api.js";
import type { PeopleList, PersonChange, PersonView, PhotoRejection } from "../../protocol/api-people.js";
import { DecodeError } from "../../recognition/decode.js";
import { chooseEnrollmentFace, describeIgnored, type EnrollmentRefusal } from "../../recognition/dominant-face.js";
import type { GalleryEntry, RecognizerStamp } from "../../recognition/gallery.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import type { RecognitionSettingsInput } from "../../recognition/recognition-settings.js";
import { ControlError } from "../control.js";
import { ModelsUnavailableError, type PeopleControl, PhotoRejectedError } from "./people-control.js";

export type PeopleServiceOptions = {
  /** The coordinator's gallery (gallery/open-gallery.ts), shared with the corrections; started and stopped by its owner. */
  gallery: { reader: GalleryReader; writer: GalleryWriter };
  /** How the models run (recognition/recognition-settings.ts); `recognizer` unset: the gallery's family. */
  recognition?: RecognitionSettingsInput;
  log: (line: string) => void;
  /** A `gallery` stream message after every change (this service's or anyone's push). */
  onChange?: (message: StreamMessage) => void;
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

export class PeopleService implements PeopleControl {
  private readonly store: GalleryReader;
  private readonly writer: GalleryWriter;
  private readonly unsubscribe: () => void;
  /** Created without photos yet: no record can carry them (a record needs an embedding). */
  private readonly pending = new Set<string>();
  private pipeline: Promise<RecognitionPipeline> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly maxPhotos: number;

  private constructor(private readonly options: PeopleServiceOptions) {
    this.maxPhotos = options.maxPhotos ?? 32;
    this.store = options.gallery.reader;
    this.writer = options.gallery.writer;
    this.unsubscribe = this.store.onChange((change) => this.galleryChanged(change));
  }

  /** On the gallery's reader, which has read the topic to its end already. */
  static async start(options: PeopleServiceOptions): Promise<PeopleService> {
    return new PeopleService(options);
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
      this.assertComparable(this.store.get(name), recognizer);

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
      // The whole record again as it is when the write's turn comes (a correction may have changed it since
      // the checks above), with whatever else it carries (corrections), plus the new embedding.
      const { writes } = await this.writer.update((gallery) => {
        const existing = gallery.get(name);
        this.assertComparable(existing, recognizer);
        if ((existing?.embeddings.length ?? 0) >= this.maxPhotos)
          throw new ControlError(
            "conflict",
            `person "${name}" has ${existing?.embeddings.length} photos already (at most ${this.maxPhotos})`,
          );
        const embeddings = [...(existing?.embeddings ?? []), entry];
        return [{ kind: "put", identity: { ...(existing ?? { name }), name, embeddings }, recognizer }];
      });
      const written = writes[0];
      const embeddings = written?.kind === "put" ? written.identity.embeddings : [];
      this.pending.delete(name);
      const ignored = choice.ignored.length > 0 ? ` (${describeIgnored(choice.ignored.length)})` : "";
      this.options.log(`people: photo ${embeddings.length} of "${name}" enrolled${ignored}; gallery version ${this.store.version}`);
      return { person: this.require(name), faces: 1 as const, backgroundFaces: choice.ignored.length, version: this.store.version };
    });
  }

  remove(name: string): Promise<PersonChange> {
    return this.exclusive(async () => {
      const person = this.require(name);
      if (this.store.get(name)) await this.writer.update(() => [{ kind: "delete", name }]);
      if (this.pending.delete(name)) this.emit();
      this.options.log(`people: deleted "${name}"; gallery version ${this.store.version}`);
      return { person, version: this.store.version };
    });
  }

  /** A person created without photos is dropped (forgetting them); whether there was one. */
  dropPending(name: string): boolean {
    const dropped = this.pending.delete(name);
    if (dropped) this.emit();
    return dropped;
  }

  /** Waits for the change in progress; the gallery is its owner's to stop. */
  async stop(): Promise<void> {
    this.unsubscribe();
    await this.queue.catch(() => undefined);
  }

  private galleryChanged(change: GalleryReaderChange): void {
    if (change.initial) return;
    for (const name of [...change.upserted, ...change.deleted]) if (this.store.get(name)) this.pending.delete(name);
    this.emit();
  }

  /** Embeddings of different recognizer families do not compare. */
  private assertComparable(existing: HeldIdentity | undefined, recognizer: RecognizerStamp): void {
    if (existing && (existing.recognizer.family !== recognizer.family || existing.recognizer.embeddingSize !== recognizer.embeddingSize))
      throw new ControlError(
        "conflict",
        `person "${existing.name}" was enrolled with ${existing.recognizer.modelId} (${existing.recognizer.family}) but the coordinator runs ${recognizer.modelId}: delete and re-enroll`,
      );
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
