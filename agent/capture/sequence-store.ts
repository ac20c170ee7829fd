/**
 * Per-camera sequence numbers that keep increasing across restarts of the producer.
 *
 * The rule: the state file `<dir>/<camera>.seq.json` holds `reserved`, and no seq at or above a
 * durable `reserved` is ever handed out. Opening reserves a block (`reserved = start + block`,
 * written before the first seq), and the reservation is extended by another block in the
 * background when half of it is used (next() waits for the write only if the block runs out
 * first). A clean close writes `reserved = next seq` with `clean: true`, so a restart continues
 * with no gap; after a crash the producer resumes at the reservation: seqs jump by less than one
 * block and are never reused. Files are written atomically (temp file + rename). A failed background write (disk full)
 * is tried again at the next extension; once the durable block is used up, next() fails with the file's name until
 * a write succeeds: capture pauses, then resumes with no seq reused.
 * One producer per camera and state dir at a time.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { FacefleetError } from "../../core/errors.js";

const stateSchema = z.object({
  version: z.literal(1),
  camera: z.string(),
  reserved: z.number().int().nonnegative(),
  clean: z.boolean(),
  updatedAt: z.string().optional(),
});

export type SequenceState = z.infer<typeof stateSchema>;

export const stateFileFor = (dir: string, camera: string) => join(dir, `${encodeURIComponent(camera)}.seq.json`);

export class SequenceStore {
  private nextSeq: number;
  private reserved: number;
  private extending: Promise<void> | undefined;
  private failure: unknown;
  private closed = false;

  private constructor(
    readonly file: string,
    readonly camera: string,
    readonly block: number,
    start: number,
    /** Where the previous run left off, for a log line. */
    readonly resumed: { from: number; clean: boolean } | undefined,
  ) {
    this.nextSeq = start;
    this.reserved = start;
  }

  static async open(dir: string, camera: string, options: { block?: number } = {}): Promise<SequenceStore> {
    const block = options.block ?? 1000;
    if (!Number.isInteger(block) || block < 2) throw new Error("sequence block must be an integer >= 2");
    const file = stateFileFor(dir, camera);
    const previous = await readState(file);
    if (previous && previous.camera !== camera) throw new FacefleetError(`${file} belongs to camera '${previous.camera}', not '${camera}'`);
    const start = previous?.reserved ?? 0;
    const store = new SequenceStore(file, camera, block, start, previous && { from: previous.reserved, clean: previous.clean });
    try {
      await store.write(start + block, false);
    } catch (error) {
      throw new FacefleetError(`cannot write sequence state ${file}: ${(error as Error).message}`);
    }
    return store;
  }

  /** The next seq (strictly increasing); waits only if the durable reservation is used up. */
  async next(): Promise<number> {
    if (this.closed) throw new Error("sequence store is closed");
    while (this.nextSeq >= this.reserved) {
      // A reservation write that failed earlier (disk full, read-only) is tried again here, so capture resumes once
      // the disk has room; until then every call fails with that write's error.
      this.failure = undefined;
      this.extend();
      await this.extending;
      if (this.failure) throw this.failure;
    }
    const seq = this.nextSeq++;
    if (this.reserved - this.nextSeq <= this.block / 2) this.extend();
    return seq;
  }

  /** The seq the next call to next() returns. */
  peek(): number {
    return this.nextSeq;
  }

  /** Waits for a reservation write in flight (tests: a "crash" right after this is realistic). */
  async settle(): Promise<void> {
    await this.extending;
  }

  /** Clean shutdown: the next run continues exactly at the next seq. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.extending?.catch(() => undefined);
    await this.write(this.nextSeq, true);
  }

  private extend(): void {
    if (this.extending) return;
    const target = Math.max(this.reserved, this.nextSeq) + this.block;
    this.extending = this.write(target, false)
      .catch((error) => {
        this.failure = new FacefleetError(`cannot write sequence state ${this.file}: ${(error as Error).message}`);
      })
      .finally(() => {
        this.extending = undefined;
      });
  }

  private async write(reserved: number, clean: boolean): Promise<void> {
    const state: SequenceState = { version: 1, camera: this.camera, reserved, clean, updatedAt: new Date().toISOString() };
    await writeFileAtomic(this.file, `${JSON.stringify(state)}\n`);
    // Only a durable reservation may be used (clean close lowers it to the next seq; that is fine:
    // nothing will be handed out after close).
    this.reserved = reserved;
  }
}

export async function readState(file: string): Promise<SequenceState | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new FacefleetError(`cannot read sequence state ${file}: ${(error as Error).message}`);
  }
  try {
    return stateSchema.parse(JSON.parse(text));
  } catch {
    throw new FacefleetError(
      `sequence state ${file} is corrupt; move it away only if no frames of this camera exist yet, else set it above the last seq`,
    );
  }
}
