/**
 * Chinese whispers (Biemann 2006): graph clustering that needs no number of clusters. Every node starts in a class
 * of its own; in rounds, each node (in a shuffled order) takes the class whose members among its neighbours weigh
 * most; it stops when a round changes nothing (or after `maxRounds`). A node without edges stays alone. Ties keep
 * the node's own class when it is among them, else take the smallest class id, and the order is shuffled by a seeded
 * generator: the same graph always gives the same clusters.
 */

/** An undirected weighted edge between nodes `a` and `b` (0-based, a ≠ b); weight > 0. */
export type WeightedEdge = { a: number; b: number; weight: number };

export type ChineseWhispersOptions = { maxRounds?: number; seed?: number };

/** A small seeded generator (mulberry32): deterministic shuffles. */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The class of every node (0..nodes-1), numbered 0, 1, 2… in the order of each class's first node; returns also the
 * rounds it took.
 */
export function chineseWhispers(
  nodes: number,
  edges: readonly WeightedEdge[],
  options: ChineseWhispersOptions = {},
): { labels: number[]; rounds: number } {
  if (!Number.isInteger(nodes) || nodes < 0) throw new RangeError(`nodes must be a whole number ≥ 0, got ${nodes}`);
  const neighbours: { node: number; weight: number }[][] = Array.from({ length: nodes }, () => []);
  for (const { a, b, weight } of edges) {
    if (!(a >= 0 && a < nodes && b >= 0 && b < nodes) || a === b)
      throw new RangeError(`edge ${a}-${b} is not between two of ${nodes} nodes`);
    if (!(weight > 0)) throw new RangeError(`edge ${a}-${b} has weight ${weight}: weights must be above 0`);
    neighbours[a]?.push({ node: b, weight });
    neighbours[b]?.push({ node: a, weight });
  }
  const label = Array.from({ length: nodes }, (_, i) => i);
  const order = Array.from({ length: nodes }, (_, i) => i);
  const random = generator(options.seed ?? 1);
  const maxRounds = options.maxRounds ?? 100;
  let rounds = 0;
  for (; rounds < maxRounds; ) {
    rounds++;
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] as number, order[i] as number];
    }
    let changed = false;
    const weights = new Map<number, number>();
    for (const node of order) {
      const around = neighbours[node] as { node: number; weight: number }[];
      if (around.length === 0) continue;
      weights.clear();
      for (const n of around) {
        const l = label[n.node] as number;
        weights.set(l, (weights.get(l) ?? 0) + n.weight);
      }
      const own = label[node] as number;
      let best = own;
      let bestWeight = weights.get(own) ?? -1;
      for (const [l, w] of weights)
        if (w > bestWeight + 1e-12 || (Math.abs(w - bestWeight) <= 1e-12 && l !== own && best !== own && l < best)) {
          best = l;
          bestWeight = w;
        }
      if (best !== own) {
        label[node] = best;
        changed = true;
      }
    }
    if (!changed) break;
  }
  // Renumber 0, 1, 2… by first appearance.
  const renumber = new Map<number, number>();
  const labels = label.map((l) => {
    let id = renumber.get(l);
    if (id === undefined) {
      id = renumber.size;
      renumber.set(l, id);
    }
    return id;
  });
  return { labels, rounds };
}
