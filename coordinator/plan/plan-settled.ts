/**
 * Whether the plan in force is the one the agents run: every live worker holds exactly the partitions of the frames
 * topic that the plan gives it (its last health report says which it holds). Load replans wait while it is not
 * (SettleGate): moving partitions for load while the group is still rebalancing to the last plan, or while a broker
 * that came back is still handing out the group's partitions, reads the backlog of that disturbance as overload and
 * makes more moves, each one another rebalance.
 */
import type { AgentHealth } from "../../protocol/health.js";
import { type PartitionPlan, partitionsOf } from "../../protocol/plan.js";

export type WorkerHoldings = { id: string; health: AgentHealth | null | undefined };

/** Every worker reported and holds what `plan` gives it (no plan: nothing to wait for). */
export function holdingsMatchPlan(plan: PartitionPlan | null, workers: readonly WorkerHoldings[], topic: string): boolean {
  if (!plan) return true;
  return workers.every(({ id, health }) => {
    if (!health) return false;
    const held = health.partitions
      .filter((p) => p.topic === topic)
      .map((p) => p.partition)
      .sort((x, y) => x - y);
    const given = [...partitionsOf(plan, id)].sort((x, y) => x - y);
    return held.length === given.length && held.every((p, i) => p === given[i]);
  });
}

/**
 * Settled, or unsettled for `maxWaitMs` already (an agent that never catches up must not stop load planning for
 * good); `maxWaitMs` 0 turns the wait off.
 */
export class SettleGate {
  private unsettledSince: number | null = null;

  constructor(private readonly maxWaitMs: number) {}

  open(matches: boolean, now = Date.now()): boolean {
    if (matches || this.maxWaitMs === 0) {
      this.unsettledSince = null;
      return true;
    }
    this.unsettledSince ??= now;
    return now - this.unsettledSince >= this.maxWaitMs;
  }
}
