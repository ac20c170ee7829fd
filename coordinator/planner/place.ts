/**
 * Places partitions that have no owner (new, or their owner died or was drained), heaviest first.
 * Each goes to the agent furthest below its fair share (capacity × the fleet's utilisation) that
 * can take it within capacity; an accelerator agent whose fair share still has room for it goes
 * first, so accelerators take the heaviest partitions. If nothing fits below capacity, the agent
 * with the most headroom takes it and a warning says so. Ties: accelerator, fewer partitions, id.
 * O(P log P + P log A).
 */
import type { Assignment } from "./assignment.js";
import { IndexedHeap } from "./indexed-heap.js";
import type { MoveReason } from "./types.js";

const EPS = 1e-9;

export function placeOrphans(assignment: Assignment, orphans: ReadonlyMap<number, MoveReason>, warnings: string[]): void {
  const a = assignment;
  if (a.agentCount === 0 || orphans.size === 0) return;
  const share = a.meanUtilisation;
  const deficit = (i: number) => share * (a.capacity[i] as number) - (a.load[i] as number);
  const tie = (x: number, y: number) => {
    if (a.accelerator[x] !== a.accelerator[y]) return a.accelerator[x] === 1;
    if (a.count[x] !== a.count[y]) return (a.count[x] as number) < (a.count[y] as number);
    return x < y;
  };
  const byDeficit = (x: number, y: number) => {
    const dx = deficit(x);
    const dy = deficit(y);
    return Math.abs(dx - dy) > EPS ? dx > dy : tie(x, y);
  };
  const byHeadroom = (x: number, y: number) => {
    const hx = a.headroom(x);
    const hy = a.headroom(y);
    return Math.abs(hx - hy) > EPS ? hx > hy : tie(x, y);
  };
  const accelerators = new IndexedHeap(a.agentCount, byDeficit);
  const fairShare = new IndexedHeap(a.agentCount, byDeficit);
  const headroom = new IndexedHeap(a.agentCount, byHeadroom);
  for (let i = 0; i < a.agentCount; i++) {
    if (a.accelerator[i] === 1) accelerators.push(i);
    fairShare.push(i);
    headroom.push(i);
  }
  const order = [...orphans.keys()].sort((x, y) => (a.partitionLoad[y] as number) - (a.partitionLoad[x] as number) || x - y);
  for (const partition of order) {
    const w = a.partitionLoad[partition] as number;
    let agent = -1;
    const accelerator = accelerators.peek();
    if (w > 0 && accelerator !== undefined && deficit(accelerator) >= w - EPS) agent = accelerator;
    if (agent < 0) {
      const best = fairShare.peek() as number;
      if (a.headroom(best) >= w - EPS) agent = best;
    }
    if (agent < 0) {
      agent = headroom.peek() as number;
      if (a.headroom(agent) < w - EPS) {
        warnings.push(`partition ${partition} (load ${w.toFixed(1)}) fits on no agent below capacity; placed on ${a.ids[agent]}`);
      }
    }
    assignment.assign(partition, agent, orphans.get(partition));
    accelerators.update(agent);
    fairShare.update(agent);
    headroom.update(agent);
  }
}
