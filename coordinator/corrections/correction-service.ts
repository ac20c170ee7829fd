/**
 * "This is not Dave, it is Bob": corrections of a recognition from an event. The service keeps the
 * last `capacity` events (with the crop and embedding the agent put on them, protocol/event.ts) and,
 * on a correction, adds the event's face to the right identity (`embeddings`) and/or to the wrong
 * one's reject set (`rejects`, recognition/match.ts), then republishes the changed identities to the
 * compacted facefleet.gallery. The agents' gallery readers pick the change up as a hot reload.
 *
 * Every correction is a read-modify-write through the coordinator's one GalleryWriter
 * (gallery/gallery-writer.ts), which the people service's uploads share: the identities' current records are
 * read when the write's turn comes, and the write is read back before the next one, so two quick corrections
 * of one person, or a correction and an upload, build on each other. Corrections are applied one at a time.
 */

import type { HeldIdentity } from "../../gallery/gallery-reader.js";
import type { GalleryLookup, GalleryUpdates, GalleryWrite } from "../../gallery/gallery-writer.js";
import { getRecognizer } from "../../models/manifest.js";
import { type CorrectionBody, type CorrectionResult, type EventQuery, type EventView, eventId } from "../../protocol/api-events.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import type { GalleryEntry, Identity, RecognizerStamp } from "../../recognition/gallery.js";
import { UNKNOWN } from "../../recognition/match.js";
import { ControlError } from "../control.js";

/** An identity to write: as held (gallery/gallery-reader.ts), or new. */
type ChangedIdentity = Identity & { recognizer: RecognizerStamp };

export type CorrectionServiceOptions = {
  /** The coordinator's one gallery writer (with its reader), shared with the people service. */
  writer: GalleryUpdates;
  /** Events kept for correction (default 500); older ones are forgotten (404). */
  capacity?: number;
  now?: () => number;
  log?: (line: string) => void;
};

type StoredEvent = { id: string; event: RecognitionEvent; correction: EventView["correction"] };

export const DEFAULT_RECENT_EVENTS = 500;

export class CorrectionService {
  /** By id, oldest first (a Map keeps insertion order). */
  private readonly events = new Map<string, StoredEvent>();
  private queue: Promise<unknown> = Promise.resolve();
  private readonly capacity: number;
  private readonly now: () => number;

  constructor(private readonly options: CorrectionServiceOptions) {
    this.capacity = options.capacity ?? DEFAULT_RECENT_EVENTS;
    this.now = options.now ?? Date.now;
  }

  /** Every event of the feed (facefleet.events); person_left is not kept (nothing in it to correct or show). */
  observe(event: RecognitionEvent): string | undefined {
    if (event.type === "person_left") return undefined;
    const id = eventId(event);
    if (this.events.has(id)) return id; // a redelivery (at-least-once)
    this.events.set(id, { id, event, correction: null });
    while (this.events.size > this.capacity) {
      const oldest = this.events.keys().next().value as string;
      this.events.delete(oldest);
    }
    return id;
  }

  /**
   * Deletes the kept events `which` picks (forgetting a person: their crops and embeddings are held here, in
   * memory); returns their ids.
   */
  remove(which: (event: RecognitionEvent, correction: EventView["correction"], id: string) => boolean): string[] {
    const gone: string[] = [];
    for (const [id, stored] of this.events) if (which(stored.event, stored.correction, id)) gone.push(id);
    for (const id of gone) this.events.delete(id);
    return gone;
  }

  /** Deletes the kept events older than `cutoff` (their time, epoch ms): the retention; returns how many went. */
  purge(cutoff: number): number {
    return this.remove((event) => event.time < cutoff).length;
  }

  get size(): number {
    return this.events.size;
  }

  /** Newest first, at most `limit`; `person` is the name the event gave (or "Unknown"). */
  list(filter: EventQuery = {}): EventView[] {
    const out: EventView[] = [];
    const kept = [...this.events.values()];
    for (let i = kept.length - 1; i >= 0 && out.length < (filter.limit ?? Number.POSITIVE_INFINITY); i--) {
      const stored = kept[i] as StoredEvent;
      if (filter.camera !== undefined && stored.event.camera !== filter.camera) continue;
      if (filter.person !== undefined && stored.event.identity !== filter.person) continue;
      out.push(view(stored));
    }
    return out;
  }

  get(id: string): EventView | undefined {
    const stored = this.events.get(id);
    return stored ? view(stored) : undefined;
  }

  /** The event's face crop (JPEG bytes). */
  crop(id: string): Buffer {
    const stored = this.stored(id);
    if (stored.event.crop === undefined) throw new ControlError("not-found", `event ${id} carries no face crop`);
    return Buffer.from(stored.event.crop, "base64");
  }

  /**
   * `{identity: Bob}`: the face is added to Bob (created when absent, with the event's recognizer) and,
   * when the event named someone else, to that person's reject set. `{notIdentity: Dave}`: to Dave's
   * reject set only (Dave must be enrolled). Both: to Bob, and to Dave's rejects. Idempotent: the face
   * is recorded with source `event:<id>`, once per identity; it moves between an identity's embeddings
   * and rejects when a correction is corrected.
   */
  correct(id: string, body: CorrectionBody): Promise<CorrectionResult> {
    const run = this.queue.then(() => this.apply(id, body));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private stored(id: string): StoredEvent {
    const stored = this.events.get(id);
    if (!stored) throw new ControlError("not-found", `no event ${id} (only the last ${this.capacity} events are kept)`);
    return stored;
  }

  private async apply(id: string, body: CorrectionBody): Promise<CorrectionResult> {
    const stored = this.stored(id);
    const { event } = stored;
    if (event.embedding === undefined || event.model === undefined)
      throw new ControlError(
        "conflict",
        `event ${id} carries no face embedding (a ${event.type} event, or from an older agent): it cannot be corrected`,
      );
    const face = unit(event.embedding);
    const source = `event:${id}`;
    const model = event.model;
    // "It is Bob" on an event that named Dave also says "not Dave".
    const named = event.identity !== UNKNOWN && event.identity !== body.identity ? event.identity : undefined;
    const notName = body.notIdentity ?? named;
    const time = new Date(this.now());
    const { writes, version } = await this.options.writer.update((gallery) =>
      this.plan(gallery, { body, notName, face, source, model }).map(
        (identity): GalleryWrite => ({ kind: "put", identity, recognizer: identity.recognizer, time }),
      ),
    );
    const changed = writes.flatMap((w) => (w.kind === "put" ? [w.identity] : []));
    stored.correction = {
      ...(body.identity !== undefined ? { identity: body.identity } : {}),
      ...(notName !== undefined ? { notIdentity: notName } : {}),
      time: this.now(),
    };
    this.options.log?.(
      `correction of event ${id} (${event.camera}, "${event.identity}"): ${changed.map((i) => `${i.name} ${i.embeddings.length} faces, ${i.rejects?.length ?? 0} rejects`).join("; ")}; gallery version ${version}`,
    );
    return {
      event: view(stored),
      published: changed.map((i) => ({ name: i.name, embeddings: i.embeddings.length, rejects: i.rejects?.length ?? 0 })),
      galleryVersion: version,
    };
  }

  /** The identities a correction changes, from their records as they are now (throws ControlError to change nothing). */
  private plan(
    gallery: GalleryLookup,
    c: { body: CorrectionBody; notName: string | undefined; face: Float32Array; source: string; model: string },
  ): ChangedIdentity[] {
    const { body, notName, face, source, model } = c;
    const changed: ChangedIdentity[] = [];
    if (body.identity !== undefined) {
      const current = gallery.get(body.identity);
      if (current === undefined) {
        const recognizer = this.recognizerOf(model, face.length);
        changed.push({ name: body.identity, recognizer, embeddings: [{ vector: face, source }] });
      } else {
        this.assertComparable(current, model, face.length);
        changed.push({
          ...current,
          embeddings: withEntry(current.embeddings, face, source),
          rejects: withoutSource(current.rejects ?? [], source),
        });
      }
    }
    if (notName !== undefined) {
      const current = gallery.get(notName);
      if (current === undefined) {
        if (body.notIdentity !== undefined) throw new ControlError("not-found", `no identity "${notName}" in the gallery`);
      } else {
        this.assertComparable(current, model, face.length);
        const embeddings = withoutSource(current.embeddings, source);
        if (embeddings.length === 0)
          throw new ControlError("conflict", `"${notName}" has no other face than this event's: remove the identity instead`);
        changed.push({ ...current, embeddings, rejects: withEntry(current.rejects ?? [], face, source) });
      }
    }
    return changed;
  }

  /** A new identity's recognizer: the event's model, from the manifest (family and size). */
  private recognizerOf(model: string, size: number): RecognizerStamp {
    let entry: ReturnType<typeof getRecognizer>;
    try {
      entry = getRecognizer(model);
    } catch {
      throw new ControlError("conflict", `the event's face was made by recognizer ${model}, which this coordinator does not know`);
    }
    if (entry.embeddingSize !== size)
      throw new ControlError("conflict", `the event's embedding has ${size} values; recognizer ${model} makes ${entry.embeddingSize}`);
    return { family: entry.family, modelId: entry.id, embeddingSize: entry.embeddingSize };
  }

  /** Embeddings of different recognizer families do not compare: such a correction is refused. */
  private assertComparable(identity: HeldIdentity, model: string, size: number): void {
    let family: string | undefined;
    try {
      family = getRecognizer(model).family;
    } catch {
      family = identity.recognizer.modelId === model ? identity.recognizer.family : undefined;
    }
    if (family !== identity.recognizer.family || size !== identity.recognizer.embeddingSize)
      throw new ControlError(
        "conflict",
        `"${identity.name}" was enrolled with recognizer ${identity.recognizer.modelId}; the event's face was made by ${model}: they do not compare`,
      );
  }
}

function view(stored: StoredEvent): EventView {
  const { crop, embedding, ...fields } = stored.event;
  return {
    ...fields,
    id: stored.id,
    cropUrl: crop !== undefined ? `/api/events/${stored.id}/crop.jpg` : null,
    correctable: embedding !== undefined && fields.model !== undefined,
    correction: stored.correction,
  };
}

/** Back to a unit vector (the event's values are rounded to 1e-5). */
function unit(values: readonly number[]): Float32Array {
  const norm = Math.hypot(...values) || 1;
  return Float32Array.from(values, (v) => v / norm);
}

function withEntry(entries: readonly GalleryEntry[], vector: Float32Array, source: string): GalleryEntry[] {
  return entries.some((e) => e.source === source) ? [...entries] : [...entries, { vector, source }];
}

function withoutSource(entries: readonly GalleryEntry[], source: string): GalleryEntry[] {
  return entries.filter((e) => e.source !== source);
}
