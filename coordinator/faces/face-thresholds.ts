/**
 * The cosine distances at which two faces of one recognizer count as the same person: for "find a face" and for
 * the edges of the unknown-face clusters. From the recognizer's false-match calibration (models/manifest.json,
 * `npm run bench:calibrate`) at a per-comparison false-match rate, else its one fixed threshold.
 */
import { getRecognizer } from "../../models/manifest.js";
import { distanceAtFalseMatchRate } from "../../recognition/gallery-threshold.js";

/** Search: about one stranger's face in 1000 kept ones comes up (bench/results/faces-over-time.md). */
export const DEFAULT_SEARCH_FALSE_MATCH_RATE = 1e-3;
/** Clusters: stricter, one edge between strangers in 10 000 pairs, so that two people are rarely joined. */
export const DEFAULT_CLUSTER_FALSE_MATCH_RATE = 1e-4;

/** The distance for a recognizer at a false-match rate; undefined for a model the manifest does not know. */
export function sameFaceDistance(modelId: string, falseMatchRate: number): number | undefined {
  let model: ReturnType<typeof getRecognizer>;
  try {
    model = getRecognizer(modelId);
  } catch {
    return undefined;
  }
  if (model.falseMatchCalibration) return distanceAtFalseMatchRate(model.falseMatchCalibration, falseMatchRate).distance;
  return model.thresholds.cosineDistance;
}

/** The recognizer family of a model id (embeddings of one family compare); undefined when unknown. */
export function familyOf(modelId: string): { family: string; embeddingSize: number } | undefined {
  try {
    const model = getRecognizer(modelId);
    return { family: model.family, embeddingSize: model.embeddingSize };
  } catch {
    return undefined;
  }
}
