/**
 * The gallery as one recognizer can match against it (what the agent's worker takes per frame): the identities of
 * a GalleryReader (gallery-reader.ts) enrolled with the same recognizer family and embedding size, in a matcher
 * rebuilt on every change of the reader. Identities enrolled with another family are ignored (logged): their
 * embeddings don't compare. The newest record of a name wins, so an older usable one never lingers.
 */
import type { Gallery, RecognizerStamp } from "../recognition/gallery.js";
import { countMatchableIdentities } from "../recognition/gallery-threshold.js";
import { type FaceMatcher, GalleryMatcher } from "../recognition/match.js";
import type { GalleryReader, GalleryReaderChange, HeldIdentity } from "./gallery-reader.js";

export type GalleryChangeNote = { version: number; identities: number; upserted: string[]; deleted: string[]; ignored: string[] };

export type MatchingGalleryOptions = {
  reader: GalleryReader;
  recognizer: RecognizerStamp;
  /**
   * Cosine distance threshold of the matcher: a number, or a function of the number of identities that can be
   * matched, asked again on every rebuild (the threshold that fits the gallery follows its size).
   */
  threshold: number | ((identities: number) => number);
  log?: (line: string) => void;
  /** After every change of the reader (also while it reads to the end at start). */
  onChange?: (note: GalleryChangeNote) => void;
};

export class MatchingGallery {
  private currentMatcher: FaceMatcher;
  private matchable: HeldIdentity[] = [];
  private readonly unsubscribe: () => void;

  constructor(private readonly options: MatchingGalleryOptions) {
    this.currentMatcher = this.rebuild();
    this.unsubscribe = options.reader.onChange((change) => this.changed(change));
  }

  /** The reader's version (the topic position read). */
  get version(): number {
    return this.options.reader.version;
  }

  /** Identities this recognizer can match. */
  get size(): number {
    return this.matchable.length;
  }

  /** The distance threshold of the current matcher. */
  get threshold(): number {
    return this.currentMatcher instanceof GalleryMatcher ? this.currentMatcher.threshold : Number.NaN;
  }

  /** Rebuilt on every change; callers take it per frame, so a frame is matched against one gallery. */
  get matcher(): FaceMatcher {
    return this.currentMatcher;
  }

  /** Stops following the reader (the reader itself is its owner's to stop). */
  close(): void {
    this.unsubscribe();
  }

  private comparable(identity: HeldIdentity): boolean {
    const mine = this.options.recognizer;
    return identity.recognizer.family === mine.family && identity.recognizer.embeddingSize === mine.embeddingSize;
  }

  private changed(change: GalleryReaderChange): void {
    const note: GalleryChangeNote = {
      version: change.version,
      identities: 0,
      upserted: [],
      deleted: change.deleted,
      ignored: [...change.skipped],
    };
    const mine = this.options.recognizer;
    for (const name of change.upserted) {
      const identity = this.options.reader.get(name);
      if (identity === undefined) continue; // deleted again later in the same batch
      if (this.comparable(identity)) {
        note.upserted.push(name);
        continue;
      }
      note.ignored.push(name);
      this.options.log?.(
        `gallery: identity '${name}' was enrolled with ${identity.recognizer.modelId} (${identity.recognizer.family}); this agent runs ${mine.modelId} (${mine.family}): ignored, re-enroll with this model`,
      );
    }
    this.currentMatcher = this.rebuild();
    note.identities = this.matchable.length;
    this.options.onChange?.(note);
  }

  private rebuild(): FaceMatcher {
    this.matchable = this.options.reader.list().filter((identity) => this.comparable(identity));
    const gallery: Gallery = {
      recognizer: this.options.recognizer,
      version: this.version,
      updatedAt: new Date().toISOString(),
      identities: this.matchable,
    };
    const { threshold } = this.options;
    return new GalleryMatcher(gallery, typeof threshold === "number" ? threshold : threshold(countMatchableIdentities(gallery.identities)));
  }
}
