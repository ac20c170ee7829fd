/**
 * The planner's working state: the agents that may own partitions (live, not drained; sorted by id,
 * referred to by index), their effective capacity, the load and partition count each carries, and
 * the owner of every partition (-1 = none yet). Every change of owner goes through `assign`, which
 * keeps the per-agent sums right and records why the partition moved.
 */
import type { MoveReason, PlannerAgent } from "./types.js";

export class Assignment {
  readonly ids: string[];
  readonly index = new Map<string, number>();
  readonly capacity: Float64Array;
  readonly accelerator: Uint8Array;
  readonly load: Float64Array;
  readonly count: Int32Array;
  readonly owner: Int32Array;
  /** Why a partition changed owner in this plan (absent = it did not). */
  readonly why = new Map<number, MoveReason>();
  readonly totalCapacity: number;
  readonly totalLoad: number;

  constructor(
    eligible: readonly PlannerAgent[],
    readonly partitionLoad: Float64Array,
    unmeasuredCapacityFps: number,
  ) {
    const agents = [...eligible].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    this.ids = agents.map((agent) => agent.id);
    for (const [i, agent] of agents.entries()) this.index.set(agent.id, i);
    this.capacity = Float64Array.from(agents, (agent) =>
      Number.isFinite(agent.capacityFps) && agent.capacityFps > 0 ? agent.capacityFps : unmeasuredCapacityFps,
    );
    this.accelerator = Uint8Array.from(agents, (agent) => (agent.accelerator ? 1 : 0));
    this.load = new Float64Array(agents.length);
    this.count = new Int32Array(agents.length);
    this.owner = new Int32Array(partitionLoad.length).fill(-1);
    this.totalCapacity = this.capacity.reduce((sum, c) => sum + c, 0);
    this.totalLoad = partitionLoad.reduce((sum, l) => sum + l, 0);
  }

  get agentCount(): number {
    return this.ids.length;
  }

  /** The fleet's utilisation (total load / total capacity of the agents that may own partitions). */
  get meanUtilisation(): number {
    return this.totalCapacity > 0 ? this.totalLoad / this.totalCapacity : 0;
  }

  headroom(agent: number): number {
    return (this.capacity[agent] as number) - (this.load[agent] as number);
  }

  utilisation(agent: number): number {
    return (this.load[agent] as number) / (this.capacity[agent] as number);
  }

  assign(partition: number, agent: number, why?: MoveReason): void {
    const w = this.partitionLoad[partition] as number;
    const from = this.owner[partition] as number;
    if (from === agent) return;
    if (from >= 0) {
      this.load[from] = (this.load[from] as number) - w;
      this.count[from] = (this.count[from] as number) - 1;
    }
    this.owner[partition] = agent;
    this.load[agent] = (this.load[agent] as number) + w;
    this.count[agent] = (this.count[agent] as number) + 1;
    // A partition placed and then shed in the same plan keeps its first reason.
    if (why !== undefined && !this.why.has(partition)) this.why.set(partition, why);
  }

  /** Partitions each agent owns, by agent index. */
  partitionsByAgent(): number[][] {
    const lists: number[][] = Array.from({ length: this.agentCount }, () => []);
    for (let p = 0; p < this.owner.length; p++) {
      const agent = this.owner[p] as number;
      if (agent >= 0) lists[agent]?.push(p);
    }
    return lists;
  }
}
