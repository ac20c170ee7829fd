/**
 * The faces of past events, kept for "find a face" and the clusters of unknown faces: every event of the feed that
 * carries an embedding (person_seen, unknown_person, watchlist_hit from agents that send their face,
 * protocol/event.ts) is kept for `retentionHours` after its time and at most `maxFaces` of them (the oldest go
 * first). Embeddings are held in memory (128 floats a face: 20 000 faces are 10 MB); crops stay on disk.
 *
 * On disk, under `<dir>` (the coordinator's `<stateDir>/faces/`): `<id>.jpg` (the crop), then `<id>.json` (the face
 * and its embedding), each written whole to a temporary file and renamed (core/atomic-write.ts); the JSON is
 * written last, so a face is known only once both are there. A restart reads the JSON files back; faces past the
 * retention, over the cap, and files that no face accounts for are deleted at start and every `purgeIntervalMs`.
 *
 * With encryptAtRest (`files` with a key, core/at-rest-files.ts) both files are sealed with AES-256-GCM (mode 600
 * either way). A store written before the key was set is encrypted in place at start (a log line says how many
 * files); a file sealed with another key, or a sealed store without a key, stops the start with one line naming the
 * file, before anything is purged: nothing is skipped and then deleted as stray.
 */
import { readdir, rm } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { AtRestKeyError } from "../../core/at-rest-cipher.js";
import { AtRestFiles } from "../../core/at-rest-files.js";
import { formatZodIssue } from "../../core/format-issue.js";
import { eventId } from "../../protocol/api-events.js";
import type { StoredFace } from "../../protocol/api-faces.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { decodeVector, encodeVector } from "../../recognition/embedding-codec.js";

export const DEFAULT_FACE_RETENTION_HOURS = 168;
export const DEFAULT_MAX_FACES = 20_000;
const DEFAULT_PURGE_INTERVAL_MS = 10 * 60_000;

const FACE_ID = /^[0-9a-f]{16}$/;

const faceFileSchema = z.object({
  format: z.literal("facefleet-face"),
  id: z.string().regex(FACE_ID),
  type: z.enum(["person_seen", "unknown_person", "watchlist_hit", "person_left"]),
  camera: z.string().min(1),
  time: z.number(),
  agent: z.string().min(1),
  trackId: z.string().min(1),
  identity: z.string().min(1),
  model: z.string().min(1),
  hasCrop: z.boolean(),
  namedAs: z.string().min(1).nullable(),
  dismissed: z.boolean(),
  dimensions: z.number().int().min(1).max(4096),
  embedding: z.string().min(1),
});

/** A face as the store holds it: what the API shows, its embedding, and whether it left the unknown clusters. */
export type KeptFace = Omit<StoredFace, "cropUrl"> & { embedding: Float32Array; hasCrop: boolean; dismissed: boolean };

export type FaceStoreOptions = {
  dir: string;
  /** How the files are written and read: sealed when it has a key (default: as they are). */
  files?: AtRestFiles;
  retentionHours?: number;
  maxFaces?: number;
  purgeIntervalMs?: number;
  now?: () => number;
  log?: (line: string) => void;
};

export class FaceStore {
  /** By id, in order of time (oldest first) as far as they arrived in order; purge sorts what it must. */
  private readonly faces = new Map<string, KeptFace>();
  private writes: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly now: () => number;
  private readonly files: AtRestFiles;
  readonly retentionHours: number;
  readonly maxFaces: number;

  private constructor(private readonly options: FaceStoreOptions) {
    this.now = options.now ?? Date.now;
    this.files = options.files ?? AtRestFiles.plain;
    this.retentionHours = options.retentionHours ?? DEFAULT_FACE_RETENTION_HOURS;
    this.maxFaces = options.maxFaces ?? DEFAULT_MAX_FACES;
  }

  /** Reads the faces kept on disk, purges, and purges again every `purgeIntervalMs`. */
  static async open(options: FaceStoreOptions): Promise<FaceStore> {
    const store = new FaceStore(options);
    await store.load();
    await store.purge();
    store.timer = setInterval(() => {
      store.purge().catch((error: Error) => options.log?.(`faces: purge failed: ${error.message}`));
    }, options.purgeIntervalMs ?? DEFAULT_PURGE_INTERVAL_MS);
    store.timer.unref();
    return store;
  }

  get size(): number {
    return this.faces.size;
  }

  /** Oldest first. */
  all(): KeptFace[] {
    return [...this.faces.values()];
  }

  get(id: string): KeptFace | undefined {
    return this.faces.get(id);
  }

  /**
   * An event of the feed: kept when it carries an embedding and a model and is within the retention; a redelivery
   * is kept once. Resolves when it is on disk (with its crop), or at once when it is not kept.
   */
  async observe(event: RecognitionEvent): Promise<KeptFace | undefined> {
    if (event.embedding === undefined || event.model === undefined || event.type === "person_left") return undefined;
    if (event.time < this.cutoff()) return undefined;
    const id = eventId(event);
    if (this.faces.has(id)) return undefined;
    const norm = Math.hypot(...event.embedding) || 1;
    const face: KeptFace = {
      id,
      type: event.type,
      camera: event.camera,
      time: event.time,
      agent: event.agent,
      trackId: event.trackId,
      identity: event.identity,
      model: event.model,
      namedAs: null,
      embedding: Float32Array.from(event.embedding, (v) => v / norm),
      hasCrop: event.crop !== undefined,
      dismissed: false,
    };
    this.faces.set(id, face);
    const crop = event.crop;
    await this.serial(async () => {
      if (!this.faces.has(id)) return; // purged meanwhile
      if (crop !== undefined) await this.files.write(join(this.options.dir, `${id}.jpg`), Buffer.from(crop, "base64"));
      await this.writeFace(face);
    });
    if (this.faces.size > this.maxFaces) await this.purge();
    return face;
  }

  /** The face's crop (JPEG), undefined when there is none. */
  async crop(id: string): Promise<Buffer | undefined> {
    const face = this.faces.get(id);
    if (!face?.hasCrop) return undefined;
    try {
      return (await this.files.read(join(this.options.dir, `${id}.jpg`))).content;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      if (error instanceof AtRestKeyError) throw error;
      this.options.log?.(`faces: crop of ${id} unreadable: ${(error as Error).message}`);
      return undefined;
    }
  }

  /** Marks faces as named (after `name`) or dismissed, on disk too. */
  async mark(ids: readonly string[], change: { namedAs: string } | { dismissed: true }): Promise<number> {
    const changed: KeptFace[] = [];
    for (const id of ids) {
      const face = this.faces.get(id);
      if (!face) continue;
      if ("namedAs" in change) face.namedAs = change.namedAs;
      else face.dismissed = true;
      changed.push(face);
    }
    await this.serial(async () => {
      for (const face of changed) if (this.faces.has(face.id)) await this.writeFace(face);
    });
    return changed.length;
  }

  /** Deletes the faces `which` picks, with their files (forgetting a person); resolves once they are off the disk. */
  async remove(which: (face: KeptFace) => boolean): Promise<KeptFace[]> {
    const gone = [...this.faces.values()].filter(which);
    for (const face of gone) this.faces.delete(face.id);
    await this.serial(async () => {
      for (const face of gone) {
        await rm(join(this.options.dir, `${face.id}.json`), { force: true });
        await rm(join(this.options.dir, `${face.id}.jpg`), { force: true });
      }
    });
    return gone;
  }

  /** Deletes the faces past the retention and those over `maxFaces` (oldest first), and stray files; returns how many went. */
  async purge(): Promise<number> {
    const cutoff = this.cutoff();
    const sorted = [...this.faces.values()].sort((a, b) => a.time - b.time);
    const over = Math.max(0, sorted.length - this.maxFaces);
    const gone = sorted.filter((face, index) => index < over || face.time < cutoff);
    for (const face of gone) this.faces.delete(face.id);
    await this.serial(async () => {
      let names: string[];
      try {
        names = await readdir(this.options.dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
        throw error;
      }
      for (const name of names) {
        const id = name.split(".", 1)[0] ?? "";
        if (this.faces.has(id) && (name === `${id}.json` || name === `${id}.jpg`)) continue;
        await rm(join(this.options.dir, name), { force: true });
      }
    });
    if (gone.length > 0) this.options.log?.(`faces: ${gone.length} purged (older than ${this.retentionHours} h or over ${this.maxFaces})`);
    return gone.length;
  }

  /** Stops the purge timer; resolves when the writes in progress are done. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.writes.catch(() => undefined);
  }

  private cutoff(): number {
    return this.now() - this.retentionHours * 3_600_000;
  }

  private serial(work: () => Promise<void>): Promise<void> {
    const run = this.writes.then(work);
    this.writes = run.catch((error: Error) => this.options.log?.(`faces: cannot write: ${error.message}`));
    return run;
  }

  private writeFace(face: KeptFace): Promise<void> {
    const { embedding, ...fields } = face;
    const record = { format: "facefleet-face", ...fields, dimensions: embedding.length, embedding: encodeVector(embedding) };
    return this.files.write(join(this.options.dir, `${face.id}.json`), `${JSON.stringify(record)}\n`);
  }

  private async load(): Promise<void> {
    let names: string[] = [];
    try {
      names = await readdir(this.options.dir);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    const loaded: KeptFace[] = [];
    let sealedNow = 0;
    for (const name of names.filter((n) => /^[0-9a-f]{16}\.json$/.test(n))) {
      const path = join(this.options.dir, name);
      try {
        const { content, inPlaintext } = await this.files.read(path);
        const parsed = faceFileSchema.safeParse(JSON.parse(content.toString("utf8")));
        if (!parsed.success) {
          this.options.log?.(`faces: ${name} skipped: ${formatZodIssue(parsed.error)}`);
          continue;
        }
        const { format: _format, dimensions, embedding, type, ...fields } = parsed.data;
        if (type === "person_left") continue;
        loaded.push({ ...fields, type, embedding: decodeVector(embedding, dimensions) });
        if (inPlaintext) {
          await this.files.write(path, content);
          sealedNow++;
        }
      } catch (error) {
        if (error instanceof AtRestKeyError) throw error;
        this.options.log?.(`faces: ${name} skipped: ${(error as Error).message}`);
      }
    }
    for (const face of loaded) {
      if (!face.hasCrop) continue;
      try {
        if (await this.files.ensureSealed(join(this.options.dir, `${face.id}.jpg`))) sealedNow++;
      } catch (error) {
        if (error instanceof AtRestKeyError) throw error;
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      }
    }
    for (const face of loaded.sort((a, b) => a.time - b.time)) this.faces.set(face.id, face);
    if (loaded.length > 0) this.options.log?.(`faces: ${loaded.length} kept faces read back`);
    if (sealedNow > 0) this.options.log?.(`faces: ${sealedNow} files written before encryptAtRest was set are now encrypted`);
  }
}
