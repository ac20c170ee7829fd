/** Chinese whispers (coordinator/faces/chinese-whispers.ts) and the embedding clusters built on it (embedding-clusters.ts). */
import assert from "node:assert/strict";
import { test } from "node:test";
import { chineseWhispers, type WeightedEdge } from "../../../coordinator/faces/chinese-whispers.js";
import { clusterEmbeddings } from "../../../coordinator/faces/embedding-clusters.js";

/** A clique over `nodes` with weight `w`. */
const clique = (nodes: number[], w = 1): WeightedEdge[] => nodes.flatMap((a, i) => nodes.slice(i + 1).map((b) => ({ a, b, weight: w })));

test("two cliques joined by one weak edge are two clusters; a node without edges is alone", () => {
  const edges = [...clique([0, 1, 2, 3]), ...clique([4, 5, 6]), { a: 3, b: 4, weight: 0.1 }];
  const { labels } = chineseWhispers(8, edges);
  assert.equal(labels.length, 8);
  assert.equal(new Set(labels.slice(0, 4)).size, 1, "0-3 together");
  assert.equal(new Set(labels.slice(4, 7)).size, 1, "4-6 together");
  assert.notEqual(labels[0], labels[4]);
  assert.ok(labels.indexOf(labels[7] as number) === 7, "7 alone");
  assert.deepEqual([...new Set(labels)], [0, 1, 2], "numbered by first appearance");
});

test("deterministic for a seed; no number of clusters needed; empty and edgeless graphs", () => {
  const edges = [...clique([0, 1, 2], 0.9), ...clique([3, 4, 5, 6, 7], 0.8), ...clique([8, 9], 0.7)];
  const one = chineseWhispers(10, edges, { seed: 7 });
  assert.deepEqual(chineseWhispers(10, edges, { seed: 7 }), one);
  assert.equal(new Set(one.labels).size, 3);
  assert.ok(one.rounds >= 1 && one.rounds < 100, `converged (${one.rounds} rounds)`);
  assert.deepEqual(chineseWhispers(0, []).labels, []);
  assert.deepEqual(chineseWhispers(3, []).labels, [0, 1, 2]);
});

test("bad input is refused with a reason", () => {
  assert.throws(() => chineseWhispers(2, [{ a: 0, b: 2, weight: 1 }]), /not between two of 2 nodes/);
  assert.throws(() => chineseWhispers(2, [{ a: 1, b: 1, weight: 1 }]), /not between/);
  assert.throws(() => chineseWhispers(2, [{ a: 0, b: 1, weight: 0 }]), /weights must be above 0/);
  assert.throws(() => chineseWhispers(-1, []), /whole number/);
});

/** A unit vector near axis `axis` of `dim`, nudged by `jitter` on the next axis. */
function near(axis: number, jitter: number, dim = 8): Float32Array {
  const v = new Float32Array(dim);
  v[axis] = 1;
  v[(axis + 1) % dim] = jitter;
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

test("embeddings: one cluster per direction, largest first, most central member first", () => {
  const faces = [near(0, 0.05), near(2, 0), near(0, 0), near(0, 0.3), near(2, 0.1), near(5, 0), near(0, 0.1)];
  const clusters = clusterEmbeddings(faces, 0.1);
  assert.deepEqual(
    clusters.map((c) => [...c.members].sort((a, b) => a - b)),
    [[0, 2, 3, 6], [1, 4], [5]],
  );
  // Axis 0: 0.05 and 0.1 sit between 0 and 0.3; 0.3 is the outlier, last.
  assert.equal(clusters[0]?.members.at(-1), 3);
  assert.ok([0, 6].includes(clusters[0]?.members[0] as number), `central first: ${clusters[0]?.members}`);
});
