/**
 * What the coordinator must remember across a restart besides the plan itself (which it reads back
 * from the compacted facefleet.plan topic): operator pins and drains (also of agents that are down,
 * which the plan does not list) and the planner's move times (the cooldown). One JSON file in the
 * state directory, written whole to a temporary file and renamed.
 */
import { mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { FacefleetError } from "../../core/errors.js";
import { formatZodIssue } from "../../core/format-issue.js";

export const STATE_FILE = "coordinator-state.json";

export const coordinatorStateSchema = z.object({
  /** partition -> agent */
  pins: z.record(z.string().regex(/^\d+$/), z.string().min(1)).default({}),
  drained: z.array(z.string().min(1)).default([]),
  /** partition -> epoch ms of its last move */
  movedAt: z.record(z.string(), z.number()).default({}),
});

export type CoordinatorState = z.output<typeof coordinatorStateSchema>;

export class CoordinatorStateFile {
  readonly path: string;
  private writing: Promise<void> = Promise.resolve();

  constructor(stateDir: string) {
    this.path = join(stateDir, STATE_FILE);
  }

  /** The saved state, or null when there is none yet. */
  async load(): Promise<CoordinatorState | null> {
    let text: string;
    try {
      text = await readFile(this.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return null;
      throw new FacefleetError(`cannot read ${this.path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new FacefleetError(`${this.path} is not JSON: fix or delete it (pins and drains are then read from the last plan)`);
    }
    const parsed = coordinatorStateSchema.safeParse(json);
    if (!parsed.success) throw new FacefleetError(`${this.path}: ${formatZodIssue(parsed.error)}`);
    return parsed.data;
  }

  /** Saves in order; resolves when this state is on disk. */
  save(state: CoordinatorState): Promise<void> {
    const text = `${JSON.stringify(state, null, 2)}\n`;
    const dir = join(this.path, "..");
    this.writing = this.writing
      .catch(() => undefined)
      .then(async () => {
        await mkdir(dir, { recursive: true });
        await writeFileAtomic(this.path, text, 0o600);
      });
    return this.writing;
  }
}
