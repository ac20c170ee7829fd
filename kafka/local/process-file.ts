import { existsSync, readFileSync } from "node:fs";
import { rename, rm, writeFile } from "node:fs/promises";

/** What `up` records about the broker it started (the pid file, JSON). */
export type PidRecord = { pid: number; bootstrap: string; logFile: string; startedAt: string; version?: string };

/** Reads the pid file; a bare number (hand-written) is accepted too. undefined if missing or unreadable. */
export function readPidFile(file: string): PidRecord | undefined {
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, "utf8").trim();
  if (/^[0-9]+$/.test(text)) return { pid: Number(text), bootstrap: "?", logFile: "?", startedAt: "?" };
  try {
    const record = JSON.parse(text) as Partial<PidRecord>;
    if (typeof record.pid === "number" && Number.isInteger(record.pid) && record.pid > 0) {
      return {
        pid: record.pid,
        bootstrap: record.bootstrap ?? "?",
        logFile: record.logFile ?? "?",
        startedAt: record.startedAt ?? "?",
        ...(record.version !== undefined ? { version: record.version } : {}),
      };
    }
  } catch {
    // fall through: garbage is treated as no pid file
  }
  return undefined;
}

export async function writePidFile(file: string, record: PidRecord): Promise<void> {
  const tmp = `${file}.tmp`;
  await writeFile(tmp, `${JSON.stringify(record)}\n`);
  await rename(tmp, file);
}

export async function removePidFile(file: string): Promise<void> {
  await rm(file, { force: true });
}

/**
 * Is `pid` a live Kafka broker? A pid whose process is gone, is a zombie, or (where /proc
 * exists) belongs to some other program after pid reuse counts as not running.
 */
export function isBrokerAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  const proc = `/proc/${pid}`;
  if (!existsSync("/proc/self")) return true; // macOS: signal 0 is all we have
  try {
    const stat = readFileSync(`${proc}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
    const cmdline = readFileSync(`${proc}/cmdline`, "utf8");
    return cmdline.includes("kafka.Kafka");
  } catch {
    return false;
  }
}
