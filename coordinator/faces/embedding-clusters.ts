/**
 * Faces grouped by who they are: a graph with an edge between every two embeddings at most `maxDistance` apart
 * (cosine distance, weighted by similarity 1 − distance), clustered with Chinese whispers (chinese-whispers.ts).
 * Each cluster's members come ordered from the most central (smallest mean distance to the others) outwards: the
 * first are its best faces to show and to enroll.
 */
import { cosineDistance } from "../../recognition/match.js";
import { chineseWhispers, type WeightedEdge } from "./chinese-whispers.js";

export type EmbeddingCluster = {
  /** Indexes into the input, most central first. */
  members: number[];
};

/** Clusters of the input embeddings (unit vectors of one recognizer), largest first; singletons included. */
export function clusterEmbeddings(embeddings: readonly Float32Array[], maxDistance: number, seed = 1): EmbeddingCluster[] {
  const edges: WeightedEdge[] = [];
  for (let a = 0; a < embeddings.length; a++)
    for (let b = a + 1; b < embeddings.length; b++) {
      const distance = cosineDistance(embeddings[a] as Float32Array, embeddings[b] as Float32Array);
      if (distance <= maxDistance) edges.push({ a, b, weight: Math.max(1e-6, 1 - distance) });
    }
  const { labels } = chineseWhispers(embeddings.length, edges, { seed });
  const groups = new Map<number, number[]>();
  labels.forEach((label, index) => {
    const group = groups.get(label) ?? [];
    group.push(index);
    groups.set(label, group);
  });
  const clusters = [...groups.values()].map((members) => ({ members: byCentrality(members, embeddings) }));
  return clusters.sort((x, y) => y.members.length - x.members.length || (x.members[0] as number) - (y.members[0] as number));
}

/** Members ordered by mean distance to the cluster's other members, smallest first (ties by index). */
function byCentrality(members: number[], embeddings: readonly Float32Array[]): number[] {
  if (members.length <= 2) return [...members].sort((a, b) => a - b);
  const mean = new Map<number, number>();
  for (const m of members) {
    let sum = 0;
    for (const other of members) if (other !== m) sum += cosineDistance(embeddings[m] as Float32Array, embeddings[other] as Float32Array);
    mean.set(m, sum / (members.length - 1));
  }
  return [...members].sort((a, b) => (mean.get(a) as number) - (mean.get(b) as number) || a - b);
}
