import { trackSettingsSchema } from "../../agent/config.js";
import type { FaceToTrack } from "../../agent/worker/tracker.js";

/**
 * Tracker settings the worker tests share: `frame-vote` naming and no visit gap, so each face's given
 * match is its vote and every track is its own visit (track naming and visits: tracks-and-visits.test.ts).
 */
export const trackSettings = trackSettingsSchema.parse({
  iouThreshold: 0.3,
  lostAfterMs: 2000,
  minFramesToName: 2,
  naming: "frame-vote",
  visitGapMs: 0,
});

/** A square face at column x on a fixed row, matched to `identity` (null: too small to match). */
export const trackedFace = (x: number, size: number, identity: string | null, score = 0.9, distance = 0.05): FaceToTrack => ({
  box: { x, y: 10, width: size, height: size },
  score,
  match: identity === null ? null : { identity, distance },
});
