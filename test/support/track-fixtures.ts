import type { FaceToTrack } from "../../agent/worker/tracker.js";

/** Tracker settings the worker tests share. */
export const trackSettings = { iouThreshold: 0.3, lostAfterMs: 2000, minFramesToName: 2 };

/** A square face at column x on a fixed row, matched to `identity` (null: too small to match). */
export const trackedFace = (x: number, size: number, identity: string | null, score = 0.9, distance = 0.05): FaceToTrack => ({
  box: { x, y: 10, width: size, height: size },
  score,
  match: identity === null ? null : { identity, distance },
});
