import { z } from "zod";
import type { Box } from "../../recognition/image.js";
import { intersectionOverUnion } from "../../recognition/nms.js";

/**
 * Recognise once per track (worker.track.recogniseOnce): a face that follows a confidently decided track is not
 * aligned and embedded again until its quality improves clearly, its box jumps, or `maxSkippedFrames` frames
 * have passed; it shows its track's name meanwhile. Confidently decided: named with a distance at least `margin`
 * × the gallery threshold inside it, or Unknown with the nearest enrolled person at least that far outside it
 * (a classifier's Unknown, which has no distance, never is). New and uncertain tracks (not decided yet, near the
 * threshold, or the gallery changed since) are embedded in every frame. `track` naming only: `frame-vote` naming
 * matches every frame by definition.
 */
export const recogniseOnceSettingsSchema = z.strictObject({
  /** false: every face large enough to be named is embedded in every frame (as before 2026-12). */
  enabled: z.boolean().default(true),
  /** How clear a decision must be, as a fraction of the gallery's distance threshold (see above). */
  margin: z.number().min(0).max(1).default(0.1),
  /** A named track's face is embedded again after at most this many frames in a row without (0: every frame). */
  maxSkippedFrames: z.number().int().min(0).max(1000).default(5),
  /** The box jumped: it overlaps the track's last box less than this (intersection over union): embed again. */
  minIou: z.number().min(0).max(1).default(0.5),
  /**
   * The quality improved clearly: its face weight (face-weight.ts: size × detector score × frontalness) is at least
   * this many times the weight of the track's last embedded face: embed again.
   */
  qualityGain: z.number().min(1).max(10).default(1.25),
});

export type RecogniseOnceSettings = z.infer<typeof recogniseOnceSettingsSchema>;

/** What the decision needs of the one track a face can follow. */
export type ReusableTrack = {
  /** Decided by `track` naming, against the current gallery, clear of the threshold by `margin` (confidentDecision). */
  confident: boolean;
  /** Its last box. */
  box: Box;
  /** Frames in a row it has had a face without an embedding. */
  skippedInRow: number;
  /** Face weight of its last embedded face. */
  lastEmbeddedWeight: number;
};

/** Whether a face that can only follow `track` may show its name without being embedded in this frame. */
export function mayReuseIdentity(track: ReusableTrack, face: { box: Box; weight: number }, settings: RecogniseOnceSettings): boolean {
  return (
    settings.enabled &&
    track.confident &&
    track.skippedInRow < settings.maxSkippedFrames &&
    intersectionOverUnion(track.box, face.box) >= settings.minIou &&
    face.weight < settings.qualityGain * track.lastEmbeddedWeight
  );
}

/**
 * Whether a track's decision is clear enough to stop embedding its faces: a name (distance `margin` × `threshold`
 * inside it; a classifier's name: always), or Unknown with its nearest enrolled person `margin` × `threshold`
 * outside it. `threshold`: the gallery's distance threshold (undefined for a classifier).
 */
export function confidentDecision(
  decision: { identity: string; distance?: number } | undefined,
  unknown: string,
  threshold: number | undefined,
  margin: number,
): boolean {
  if (decision === undefined) return false;
  const { distance } = decision;
  if (decision.identity !== unknown) return distance === undefined || threshold === undefined || distance <= threshold * (1 - margin);
  return distance !== undefined && threshold !== undefined && distance >= threshold * (1 + margin);
}
