import type { Box } from "./image.js";

export function intersectionOverUnion(a: Box, b: Box): number {
  const left = Math.max(a.x, b.x);
  const top = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  const intersection = Math.max(0, right - left) * Math.max(0, bottom - top);
  const union = a.width * a.height + b.width * b.height - intersection;
  return union > 0 ? intersection / union : 0;
}

/** Greedy non-maximum suppression: keeps the best-scoring box of every overlapping group, best first. */
export function nonMaximumSuppression<T extends { box: Box; score: number }>(
  candidates: readonly T[],
  iouThreshold: number,
  topK: number,
): T[] {
  const sorted = [...candidates].sort((a, b) => b.score - a.score).slice(0, topK);
  const kept: T[] = [];
  for (const candidate of sorted) {
    if (kept.every((k) => intersectionOverUnion(k.box, candidate.box) <= iouThreshold)) kept.push(candidate);
  }
  return kept;
}
