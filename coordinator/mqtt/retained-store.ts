import { mkdir, readFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { FacefleetError } from "../../core/errors.js";

export type RetainedMessage = { topic: string; payload: Buffer; qos: 0 | 1 | 2 };

const fileSchema = z.object({
  version: z.literal(1),
  messages: z.array(z.object({ topic: z.string().min(1), payload: z.string(), qos: z.union([z.literal(0), z.literal(1), z.literal(2)]) })),
});

/**
 * The embedded broker's retained messages (agent status, the plan), mirrored in a JSON file that is
 * rewritten atomically after each change (changes that come in while a write is under way are
 * folded into the next one) and read back at start.
 */
export class RetainedStore {
  private readonly messages = new Map<string, RetainedMessage>();
  private writing: Promise<void> | undefined;
  private dirty = false;
  private lastError: Error | undefined;

  constructor(
    readonly file: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Reads the file; a missing file is an empty store, a corrupt one an error naming it. */
  async load(): Promise<RetainedMessage[]> {
    let text: string;
    try {
      text = await readFile(this.file, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw new FacefleetError(`cannot read ${this.file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    let parsed: z.infer<typeof fileSchema>;
    try {
      parsed = fileSchema.parse(JSON.parse(text));
    } catch {
      throw new FacefleetError(`${this.file} is not a valid retained-message file: move it away to start with none`);
    }
    for (const m of parsed.messages) this.messages.set(m.topic, { topic: m.topic, payload: Buffer.from(m.payload, "base64"), qos: m.qos });
    return [...this.messages.values()];
  }

  /** Records a retained publish (an empty payload clears the topic) and schedules a write. */
  update(topic: string, payload: Buffer, qos: number): void {
    if (payload.length === 0) {
      if (!this.messages.delete(topic)) return;
    } else {
      this.messages.set(topic, { topic, payload: Buffer.from(payload), qos: qos === 1 || qos === 2 ? qos : 0 });
    }
    this.dirty = true;
    this.writing ??= this.writeLoop();
  }

  /** Resolves once everything recorded so far is on disk. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
    if (this.lastError) throw this.lastError;
  }

  private async writeLoop(): Promise<void> {
    try {
      await mkdir(dirname(this.file), { recursive: true });
      while (this.dirty) {
        this.dirty = false;
        const body = {
          version: 1,
          messages: [...this.messages.values()].map((m) => ({ topic: m.topic, payload: m.payload.toString("base64"), qos: m.qos })),
        };
        await writeFileAtomic(this.file, `${JSON.stringify(body)}\n`, 0o600);
      }
      this.lastError = undefined;
    } catch (error) {
      this.lastError = error as Error;
      this.log(`cannot write ${this.file}: ${(error as Error).message}`);
    } finally {
      this.writing = undefined;
    }
  }
}
