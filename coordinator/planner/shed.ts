/**
 * Moves work off agents that carry too much, and nothing else (hysteresis). An agent's limit is
 * min(capacity, capacity × fleet utilisation × (1 + imbalanceThreshold)): above its capacity it is
 * overloaded, above the fleet's utilisation by more than the threshold it is imbalanced. Each such
 * agent, worst first, gives up partitions chosen by `pickShed` (fewest moves, least overshoot)
 * until it is within its limit: never pinned ones; ones in cooldown only while it is still above
 * capacity without them (capacity ranks above stickiness in docs/design.md's goals). A receiver stays
 * within its own limit (so it does not become a donor), or, for an overloaded donor, within its
 * capacity (see receiverFor). When the fleet as a whole is above capacity nothing fits anywhere
 * and nothing moves.
 */
import type { Assignment } from "./assignment.js";
import { IndexedHeap } from "./indexed-heap.js";
import { pickShed } from "./pick-shed.js";

const EPS = 1e-9;

export function shedExcess(
  assignment: Assignment,
  imbalanceThreshold: number,
  /** May move at all (not pinned). */
  movable: (partition: number) => boolean,
  inCooldown: (partition: number) => boolean,
  warnings: string[],
): void {
  const a = assignment;
  if (a.agentCount < 2) return;
  const factor = a.meanUtilisation * (1 + Math.max(0, imbalanceThreshold));
  const limit = (i: number) => Math.min(a.capacity[i] as number, (a.capacity[i] as number) * factor);
  const room = (i: number) => limit(i) - (a.load[i] as number);
  const excessRatio = (i: number) => ((a.load[i] as number) - limit(i)) / (a.capacity[i] as number);
  let pending: number[] = [];
  for (let i = 0; i < a.agentCount; i++) if ((a.load[i] as number) > limit(i) + EPS) pending.push(i);
  if (pending.length === 0) return;

  const tie = (x: number, y: number) => (a.count[x] !== a.count[y] ? (a.count[x] as number) < (a.count[y] as number) : x < y);
  const byRoom = new IndexedHeap(a.agentCount, (x, y) => (Math.abs(room(x) - room(y)) > EPS ? room(x) > room(y) : tie(x, y)));
  const byHeadroom = new IndexedHeap(a.agentCount, (x, y) => {
    const hx = a.headroom(x);
    const hy = a.headroom(y);
    return Math.abs(hx - hy) > EPS ? hx > hy : tie(x, y);
  });
  for (let i = 0; i < a.agentCount; i++) {
    byRoom.push(i);
    byHeadroom.push(i);
  }
  const owned = a.partitionsByAgent();
  const loadOf = (p: number) => a.partitionLoad[p] as number;

  // Each partition moves at most once here, so this ends; receivers pushed above their limit are
  // processed as donors in the next round, so the result is a fixed point (replanning the same
  // fleet and load moves nothing).
  const shedMoved = new Uint8Array(a.partitionLoad.length);
  while (pending.length > 0) {
    pending.sort((x, y) => excessRatio(y) - excessRatio(x) || x - y);
    const again = new Set<number>();
    for (const donor of pending) shedFrom(donor, again);
    pending = [...again];
  }
  for (let i = 0; i < a.agentCount; i++) {
    if ((a.load[i] as number) > (a.capacity[i] as number) + EPS) {
      warnings.push(
        `agent ${a.ids[i]} stays above capacity (load ${(a.load[i] as number).toFixed(1)} > ${(a.capacity[i] as number).toFixed(1)}): nothing it may give up fits elsewhere`,
      );
    }
  }

  function shedFrom(donor: number, again: Set<number>): void {
    const mine = (owned[donor] ?? []).filter((p) => movable(p) && shedMoved[p] === 0).sort((x, y) => loadOf(y) - loadOf(x) || x - y);
    const overloaded = () => (a.load[donor] as number) > (a.capacity[donor] as number) + EPS;
    // A receiver that stays within its own limit; for an overloaded donor, else one that stays within
    // capacity (capacity ranks above balance). Receivers pushed above their limit that way shed in
    // the next round.
    const receiverFor = (w: number): number => {
      const best = byRoom.peek();
      if (best !== undefined && best !== donor && room(best) >= w - EPS) return best;
      if (overloaded()) {
        const roomy = byHeadroom.peek();
        if (roomy !== undefined && roomy !== donor && a.headroom(roomy) >= w - EPS) return roomy;
      }
      return -1;
    };
    const shed = (candidates: number[], target: number) => {
      while ((a.load[donor] as number) > target + EPS && candidates.length > 0) {
        const remaining = (a.load[donor] as number) - target;
        const at = pickShed(candidates, loadOf, remaining, (w) => receiverFor(w) >= 0);
        if (at < 0) break;
        const partition = candidates[at] as number;
        candidates.splice(at, 1);
        const receiver = receiverFor(loadOf(partition));
        a.assign(partition, receiver, overloaded() ? "overload" : "imbalance");
        shedMoved[partition] = 1;
        owned[receiver]?.push(partition);
        if ((a.load[receiver] as number) > limit(receiver) + EPS) again.add(receiver);
        for (const heap of [byRoom, byHeadroom]) {
          heap.update(donor);
          heap.update(receiver);
        }
      }
    };
    shed(
      mine.filter((p) => !inCooldown(p)),
      limit(donor),
    );
    if (overloaded()) shed(mine.filter(inCooldown), a.capacity[donor] as number);

    owned[donor] = (owned[donor] ?? []).filter((p) => a.owner[p] === donor);
  }
}
