/**
 * The fewest partitions any planner must move after a change, by the planner's own policy: an
 * agent's limit is min(capacity, capacity × fleet utilisation × (1 + imbalanceThreshold)) (the
 * hysteresis band; a planner that moved less would leave an agent overloaded or imbalanced).
 *  - an agent dies: every partition it owned (nothing else must move);
 *  - an agent joins: the partitions that must leave agents that are now above their limit (0 when
 *    none is: the join lowers the fleet's utilisation only a little);
 *  - capacity changes: for each agent above its limit, the fewest of its partitions whose load
 *    covers the excess (heaviest first), and the excess load itself.
 * Loads here are the planner's (partition-load.ts), so the comparison is like for like.
 */
export type AgentLoad = { id: string; capacity: number; partitionLoads: number[] };

export function minimumShed(agents: readonly AgentLoad[], imbalanceThreshold: number): { partitions: number; load: number } {
  const totalLoad = agents.reduce((sum, a) => sum + a.partitionLoads.reduce((s, l) => s + l, 0), 0);
  const totalCapacity = agents.reduce((sum, a) => sum + a.capacity, 0);
  const factor = (totalLoad / totalCapacity) * (1 + imbalanceThreshold);
  let partitions = 0;
  let load = 0;
  for (const agent of agents) {
    const limit = Math.min(agent.capacity, agent.capacity * factor);
    const carried = agent.partitionLoads.reduce((s, l) => s + l, 0);
    let excess = carried - limit;
    if (excess <= 1e-9) continue;
    load += excess;
    for (const l of [...agent.partitionLoads].sort((x, y) => y - x)) {
      if (excess <= 1e-9) break;
      excess -= l;
      partitions++;
    }
  }
  return { partitions, load };
}
