import { z } from "zod";
import type { FalseMatchCalibration, RecognizerModel } from "../models/manifest-schema.js";

/** The open-set false-accept rate aimed at by default: a stranger is given some name once in 100 faces. */
export const DEFAULT_FALSE_ACCEPT_RATE = 0.01;
/** Beyond this a "threshold" names half the strangers: surely a mistake. */
export const MAX_FALSE_ACCEPT_RATE = 0.5;

/** The target as config and options take it: a rate, not a percentage. */
export const falseAcceptRateSchema = z
  .number()
  .gt(0, "must be above 0 (a rate such as 0.01, not a percentage)")
  .max(MAX_FALSE_ACCEPT_RATE, `must be at most ${MAX_FALSE_ACCEPT_RATE} (a rate such as 0.01, not a percentage)`);

export type GalleryThreshold = {
  /** The cosine distance at or under which the nearest enrolled face names a probe. */
  threshold: number;
  /** Where it comes from: the recognizer's false-match calibration, or its one fixed threshold (no calibration). */
  source: "calibrated" | "fixed";
  /** The per-comparison false-match rate aimed at (calibrated only). */
  falseMatchRate?: number;
  /** True when that rate lies outside the calibrated range and the nearest end of the table was taken. */
  clamped?: boolean;
};

/**
 * The per-comparison false-match rate that gives a stranger the chance `targetFalseAccept` of matching one of
 * `comparisons` independent candidates: 1 - (1 - target)^(1/N), computed without cancellation for small rates.
 */
export function perComparisonFalseMatchRate(targetFalseAccept: number, comparisons: number): number {
  if (!(targetFalseAccept > 0 && targetFalseAccept < 1))
    throw new RangeError(`false-accept rate must be in (0, 1), got ${targetFalseAccept}`);
  const n = Math.max(1, comparisons);
  return -Math.expm1(Math.log1p(-targetFalseAccept) / n);
}

/** The calibrated distance at a false-match rate: linear in log10(rate) between table points, clamped to its ends. */
export function distanceAtFalseMatchRate(
  calibration: Pick<FalseMatchCalibration, "points">,
  falseMatchRate: number,
): { distance: number; clamped: boolean } {
  const points = calibration.points;
  const first = points[0];
  const last = points.at(-1);
  if (!first || !last) throw new RangeError("a false-match calibration needs at least one point");
  if (falseMatchRate >= first.falseMatchRate) return { distance: first.cosineDistance, clamped: falseMatchRate > first.falseMatchRate };
  if (falseMatchRate <= last.falseMatchRate) return { distance: last.cosineDistance, clamped: falseMatchRate < last.falseMatchRate };
  const x = Math.log10(falseMatchRate);
  for (let i = 1; i < points.length; i++) {
    const hi = points[i - 1] as (typeof points)[number];
    const lo = points[i] as (typeof points)[number];
    if (falseMatchRate < lo.falseMatchRate) continue;
    const x0 = Math.log10(lo.falseMatchRate);
    const x1 = Math.log10(hi.falseMatchRate);
    const t = (x - x0) / (x1 - x0);
    return { distance: lo.cosineDistance + t * (hi.cosineDistance - lo.cosineDistance), clamped: false };
  }
  return { distance: last.cosineDistance, clamped: true };
}

/**
 * The default distance threshold for a gallery of `identities` enrolled people.
 *
 * N counts identities, not embeddings: a probe is named after its nearest enrolled face, and a stranger who
 * comes close to one picture of a person comes close to that person's other pictures too (they are of one face),
 * so the k pictures of one identity are nearly one chance to be wrongly named, not k independent ones. Counting
 * embeddings would make a gallery stricter for every extra photo of the same people, which is the opposite of
 * what enrolling more photos is for. bench/results/accuracy.md checks the choice on LFW (334 identities, 668
 * pictures): the measured strangers' false-accept rate at this threshold against the target.
 *
 * A recognizer without a calibration keeps its one fixed threshold (models/manifest.json `thresholds`).
 */
export function galleryThreshold(
  model: Pick<RecognizerModel, "thresholds" | "falseMatchCalibration">,
  identities: number,
  targetFalseAccept = DEFAULT_FALSE_ACCEPT_RATE,
): GalleryThreshold {
  const calibration = model.falseMatchCalibration;
  if (!calibration) return { threshold: model.thresholds.cosineDistance, source: "fixed" };
  const falseMatchRate = perComparisonFalseMatchRate(targetFalseAccept, identities);
  const { distance, clamped } = distanceAtFalseMatchRate(calibration, falseMatchRate);
  return { threshold: Number(distance.toFixed(6)), source: "calibrated", falseMatchRate, clamped };
}

/** Identities that can name a face: those with at least one enrolled embedding. */
export function countMatchableIdentities(identities: readonly { embeddings: readonly unknown[] }[]): number {
  let n = 0;
  for (const identity of identities) if (identity.embeddings.length > 0) n++;
  return n;
}
