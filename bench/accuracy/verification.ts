/** One verification pair scored by a distance (smaller = more alike). */
export type ScoredPair = { distance: number; same: boolean; fold: number };

/** Accuracy when "same" means distance <= threshold. */
export function accuracyAt(pairs: readonly ScoredPair[], threshold: number): number {
  if (pairs.length === 0) return 0;
  let correct = 0;
  for (const p of pairs) if (p.distance <= threshold === p.same) correct++;
  return correct / pairs.length;
}

/** The threshold with the best accuracy on these pairs (midpoints between sorted distances are tried). */
export function bestThreshold(pairs: readonly ScoredPair[]): { threshold: number; accuracy: number } {
  const distances = [...new Set(pairs.map((p) => p.distance))].sort((a, b) => a - b);
  const candidates = [0, ...distances.slice(0, -1).map((d, i) => (d + (distances[i + 1] as number)) / 2), 2];
  let best = { threshold: 0, accuracy: -1 };
  for (const threshold of candidates) {
    const accuracy = accuracyAt(pairs, threshold);
    if (accuracy > best.accuracy) best = { threshold, accuracy };
  }
  return best;
}

/**
 * The LFW protocol: for each fold, pick the threshold on the other folds and measure on this one.
 * Returns the per-fold results with their mean and standard deviation.
 */
export function crossValidatedVerification(pairs: readonly ScoredPair[]) {
  const folds = [...new Set(pairs.map((p) => p.fold))].sort((a, b) => a - b);
  const perFold = folds.map((fold) => {
    const { threshold } = bestThreshold(pairs.filter((p) => p.fold !== fold));
    return {
      fold,
      threshold,
      accuracy: accuracyAt(
        pairs.filter((p) => p.fold === fold),
        threshold,
      ),
    };
  });
  const mean = perFold.reduce((s, f) => s + f.accuracy, 0) / perFold.length;
  const std = Math.sqrt(perFold.reduce((s, f) => s + (f.accuracy - mean) ** 2, 0) / perFold.length);
  return { perFold, mean, std };
}
