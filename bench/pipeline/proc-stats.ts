/**
 * CPU time and memory of a process from Linux's /proc: user+system seconds (/proc/<pid>/stat, fields
 * 14 and 15, in clock ticks) and peak / current resident set size (/proc/<pid>/status VmHWM / VmRSS).
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

export type CpuSample = { atMs: number; cpuSeconds: number };

/** user+system CPU seconds of pid so far, or undefined when it is gone. */
export function cpuSample(pid: number): CpuSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const utime = Number(fields[11]);
    const stime = Number(fields[12]);
    return { atMs: performance.now(), cpuSeconds: (utime + stime) / clockTicks() };
  } catch {
    return undefined;
  }
}

/** CPU use between two samples, in percent of one core. */
export function cpuPercent(from: CpuSample | undefined, to: CpuSample | undefined): number | null {
  if (!from || !to || to.atMs <= from.atMs) return null;
  return Math.round(((to.cpuSeconds - from.cpuSeconds) / ((to.atMs - from.atMs) / 1000)) * 1000) / 10;
}

export type Memory = { peakRssMiB: number; rssMiB: number };

/** VmHWM (peak resident set) and VmRSS of pid, in MiB, or undefined when it is gone. */
export function memory(pid: number): Memory | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
    return { peakRssMiB: Math.round(kib("VmHWM") / 1024), rssMiB: Math.round(kib("VmRSS") / 1024) };
  } catch {
    return undefined;
  }
}
