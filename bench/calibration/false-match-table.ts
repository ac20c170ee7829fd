/** False-match rates the calibration tabulates: half-decades from 1e-1 to 1e-6. */
export const FALSE_MATCH_GRID = [1e-1, 10 ** -1.5, 1e-2, 10 ** -2.5, 1e-3, 10 ** -3.5, 1e-4, 10 ** -4.5, 1e-5, 10 ** -5.5, 1e-6].map((r) =>
  Number(r.toPrecision(3)),
);

export type LabelledVector = { identity: string; vector: Float32Array };

/** Cosine distances (1 - dot of unit vectors) of every pair of pictures of different identities, sorted ascending. */
export function impostorDistances(samples: readonly LabelledVector[]): Float64Array {
  const n = samples.length;
  let count = 0;
  for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) if (samples[i]?.identity !== samples[j]?.identity) count++;
  const out = new Float64Array(count);
  let k = 0;
  for (let i = 0; i < n; i++) {
    const a = samples[i] as LabelledVector;
    for (let j = i + 1; j < n; j++) {
      const b = samples[j] as LabelledVector;
      if (a.identity === b.identity) continue;
      let dot = 0;
      for (let d = 0; d < a.vector.length; d++) dot += (a.vector[d] as number) * (b.vector[d] as number);
      out[k++] = 1 - dot;
    }
  }
  return out.sort();
}

/**
 * For each rate of the grid, the distance under which that share of impostor pairs lies: midway between the
 * k-th and (k+1)-th smallest distances, k = floor(rate * pairs), so exactly k pairs are at or under it. Rates
 * that fewer than one pair would resolve (rate * pairs < 1) are left out.
 */
export function falseMatchTable(sorted: Float64Array, grid: readonly number[] = FALSE_MATCH_GRID) {
  const points: { falseMatchRate: number; cosineDistance: number }[] = [];
  for (const rate of grid) {
    const k = Math.floor(rate * sorted.length);
    if (k < 1 || k >= sorted.length) continue;
    const distance = ((sorted[k - 1] as number) + (sorted[k] as number)) / 2;
    points.push({ falseMatchRate: rate, cosineDistance: Number(distance.toFixed(6)) });
  }
  return points;
}
