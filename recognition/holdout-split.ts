import type { LabelledEmbedding } from "./classifier.js";

/**
 * Deterministic held-out split: for every identity with at least two samples, its last sample is held out;
 * identities with one sample stay in training only.
 */
export function holdOutLastPerIdentity(samples: readonly LabelledEmbedding[]): {
  train: LabelledEmbedding[];
  heldOut: LabelledEmbedding[];
} {
  const byLabel = new Map<string, LabelledEmbedding[]>();
  for (const s of samples) byLabel.set(s.label, [...(byLabel.get(s.label) ?? []), s]);
  const train: LabelledEmbedding[] = [];
  const heldOut: LabelledEmbedding[] = [];
  for (const group of byLabel.values()) {
    if (group.length >= 2) {
      train.push(...group.slice(0, -1));
      heldOut.push(group[group.length - 1] as LabelledEmbedding);
    } else train.push(...group);
  }
  return { train, heldOut };
}
