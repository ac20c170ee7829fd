import type { Box, Point } from "../../recognition/image.js";

/** A face side (pixels) at which size stops adding evidence: about the recognizer's chip size. */
const FULL_SIZE_PX = 100;
/** A face turned to profile still counts this much (it is a face, but a poor one to name). */
const MIN_POSE_FACTOR = 0.1;

/**
 * How frontal a face is, 0.1 (profile) to 1 (frontal), from YuNet's five landmarks (eyes, nose tip,
 * mouth corners): the nose tip's sideways offset from the eyes' midpoint, over the distance between
 * the eyes. Frontal ≈ 0, a half-turned face ≈ 0.25, a profile ≥ 0.5.
 */
export function frontalness(landmarks: readonly [Point, Point, Point, Point, Point]): number {
  const [eyeA, eyeB, nose] = landmarks;
  const eyes = Math.hypot(eyeB.x - eyeA.x, eyeB.y - eyeA.y);
  if (!(eyes > 0)) return MIN_POSE_FACTOR;
  const offset = Math.abs(nose.x - (eyeA.x + eyeB.x) / 2) / eyes;
  return Math.max(MIN_POSE_FACTOR, Math.min(1, 1 - 2 * offset));
}

/**
 * How much one face counts as evidence of who a track is, 0 to 1: size (side up to 100 px) ×
 * detector score × frontalness. A big, sharp, frontal face is worth 1; a 40 px frontal face 0.4 × its
 * score. Local to the worker and small on purpose, so a shared face-quality score can replace it.
 */
export function faceWeight(box: Box, score: number, landmarks: readonly [Point, Point, Point, Point, Point]): number {
  const side = Math.sqrt(Math.max(0, box.width) * Math.max(0, box.height));
  return Math.min(1, side / FULL_SIZE_PX) * Math.max(0, Math.min(1, score)) * frontalness(landmarks);
}
