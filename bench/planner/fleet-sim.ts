/**
 * A simulated fleet for the planner benchmark (seeded, so every run plans the same fleet): agents
 * with varied capacity (most CPU-only, a fifth with an accelerator and 3-5× the throughput) and
 * partitions with varied frame rates and costs per frame, scaled so the fleet runs at `utilisation`.
 */
import type { PartitionLoad, PlannerAgent } from "../../coordinator/planner/index.js";

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export type SimFleet = { agents: PlannerAgent[]; loads: PartitionLoad[] };

export function simulateFleet(agentCount: number, partitionCount: number, utilisation: number, seed: number): SimFleet {
  const random = prng(seed);
  const agents: PlannerAgent[] = Array.from({ length: agentCount }, (_, i) => {
    const accelerator = random() < 0.2;
    const capacityFps = Math.round(accelerator ? 120 + random() * 180 : 20 + random() * 60);
    return { id: `agent-${String(i).padStart(4, "0")}`, capacityFps, accelerator, drained: false };
  });
  // frame rates 1-15 fps (skewed low: most cameras are quiet), cost 20-80 ms per frame
  const raw = Array.from({ length: partitionCount }, (_, partition) => ({
    partition,
    fps: 1 + 14 * random() ** 2,
    costMsPerFrame: 20 + 60 * random(),
  }));
  const totalCapacity = agents.reduce((sum, agent) => sum + agent.capacityFps, 0);
  const totalFps = raw.reduce((sum, load) => sum + load.fps, 0);
  const scale = (utilisation * totalCapacity) / totalFps;
  const loads = raw.map((load) => ({ ...load, fps: Math.round(load.fps * scale * 100) / 100 }));
  return { agents, loads };
}
