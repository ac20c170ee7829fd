import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { nearestRank } from "../../core/stats.js";
import type { FaceRecognizer } from "../../recognition/face-recognizer.js";
import type { RgbImage } from "../../recognition/image.js";

/**
 * Milliseconds per face of each embedder, one face per run, models interleaved within each round so a busy machine
 * slows them alike; round -1 warms every session up (first runs allocate and pick kernels) and is not counted.
 * `chips[m]` are the faces aligned for embedder m. The 1-minute load average before and after comes with it.
 * `cpuSamples` are the process's CPU milliseconds (user + system) over the same runs: with one intra-op thread that is
 * the run's own work, which other processes on a shared machine stretch far less than the wall-clock time.
 */
export async function timeEmbeddings(
  embedders: readonly FaceRecognizer[],
  chips: readonly (readonly RgbImage[])[],
  rounds: number,
): Promise<{ samples: number[][]; cpuSamples: number[][]; loadBefore: number; loadAfter: number }> {
  const samples: number[][] = embedders.map(() => []);
  const cpuSamples: number[][] = embedders.map(() => []);
  const loadBefore = loadavg()[0] as number;
  for (let round = -1; round < rounds; round++) {
    for (const [m, embedder] of embedders.entries()) {
      for (const chip of chips[m] ?? []) {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        await embedder.embed([chip]);
        const wall = performance.now() - t0;
        const cpu = process.cpuUsage(c0);
        if (round >= 0) {
          (samples[m] as number[]).push(wall);
          (cpuSamples[m] as number[]).push((cpu.user + cpu.system) / 1000);
        }
      }
    }
  }
  return { samples, cpuSamples, loadBefore, loadAfter: loadavg()[0] as number };
}

/** The q-quantile (0..1) of the values, by nearest rank (core/stats.ts). */
export function quantile(values: readonly number[], q: number): number {
  return nearestRank(
    [...values].sort((a, b) => a - b),
    q,
  );
}
