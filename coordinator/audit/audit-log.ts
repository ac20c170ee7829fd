/**
 * The audit log: who enrolled, corrected, named, dismissed and deleted what, and when (protocol/api-audit.ts).
 * Append-only JSON lines in `<stateDir>/audit.jsonl` (mode 600): each entry is one `write` of one whole line to a
 * file opened for appending (O_APPEND: lines of concurrent writers do not interleave), one at a time in order,
 * flushed to disk (fsync) before `append` resolves. On open the file is read back; a torn last line (a crash in
 * the middle of a write) is skipped with a log line, and the next entry starts on a line of its own.
 *
 * An entry names people, events and clusters and counts faces; it holds no crop or embedding. The log is never
 * purged or rewritten by the coordinator (forgetting a person adds an entry; it does not remove the earlier ones).
 */
import { open, readFile } from "node:fs/promises";
import { formatZodIssue } from "../../core/format-issue.js";
import { type AuditEntry, type AuditList, type AuditQuery, type AuditRecord, auditEntrySchema } from "../../protocol/api-audit.js";

/** Entries held in memory for GET /api/audit (the newest); the file keeps them all. */
const DEFAULT_HELD = 10_000;

export type AuditLogOptions = {
  path: string;
  now?: () => number;
  held?: number;
  log?: (line: string) => void;
};

export class AuditLog {
  /** Oldest first, at most `held`. */
  private entries: AuditEntry[] = [];
  private total = 0;
  private writes: Promise<unknown> = Promise.resolve();
  /** The file does not end with a newline (a torn line): the next entry begins with one. */
  private torn = false;
  private readonly now: () => number;
  private readonly held: number;

  private constructor(private readonly options: AuditLogOptions) {
    this.now = options.now ?? Date.now;
    this.held = options.held ?? DEFAULT_HELD;
  }

  static async open(options: AuditLogOptions): Promise<AuditLog> {
    const log = new AuditLog(options);
    await log.load();
    return log;
  }

  /** Appends an entry (the time is now); resolves once it is on disk, rejects on an invalid entry or a failed write. */
  append(actor: string, record: AuditRecord): Promise<AuditEntry> {
    const parsed = auditEntrySchema.safeParse({ ...record, actor, time: this.now(), details: record.details ?? {} });
    if (!parsed.success) return Promise.reject(new Error(`audit entry: ${formatZodIssue(parsed.error)}`));
    const entry = parsed.data;
    const run = this.writes.then(async () => {
      const line = `${this.torn ? "\n" : ""}${JSON.stringify(entry)}\n`;
      const file = await open(this.options.path, "a", 0o600);
      try {
        await file.write(line);
        await file.sync();
      } finally {
        await file.close();
      }
      this.torn = false;
      this.hold(entry);
      return entry;
    });
    this.writes = run.catch(() => undefined);
    return run;
  }

  /** Newest first, filtered. */
  list(query: AuditQuery = {}): AuditList {
    const out: AuditEntry[] = [];
    const limit = query.limit ?? 500;
    for (let i = this.entries.length - 1; i >= 0 && out.length < limit; i--) {
      const entry = this.entries[i] as AuditEntry;
      if (query.action !== undefined && entry.action !== query.action) continue;
      if (query.subject !== undefined && entry.subject !== query.subject) continue;
      out.push(entry);
    }
    return { entries: out, total: this.total };
  }

  async stop(): Promise<void> {
    await this.writes;
  }

  private hold(entry: AuditEntry): void {
    this.entries.push(entry);
    this.total++;
    if (this.entries.length > this.held * 1.25) this.entries = this.entries.slice(-this.held);
  }

  private async load(): Promise<void> {
    let text: string;
    try {
      text = await readFile(this.options.path, "utf8");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
      throw error;
    }
    this.torn = text.length > 0 && !text.endsWith("\n");
    const lines = text.split("\n");
    for (const [index, line] of lines.entries()) {
      if (line.trim() === "") continue;
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch {
        this.options.log?.(`audit: ${this.options.path} line ${index + 1} is not JSON (a torn write), skipped`);
        continue;
      }
      const parsed = auditEntrySchema.safeParse(json);
      if (!parsed.success) {
        this.options.log?.(`audit: ${this.options.path} line ${index + 1} skipped: ${formatZodIssue(parsed.error)}`);
        continue;
      }
      this.hold(parsed.data);
    }
    if (this.entries.length > this.held) this.entries = this.entries.slice(-this.held);
  }
}
