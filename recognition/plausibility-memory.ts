import type { DetectedFace } from "./face.js";
import type { Box } from "./image.js";
import { intersectionOverUnion } from "./nms.js";

/**
 * The plausibility check once per face on a camera, not once per frame (recognition.plausibilityReuseFrames):
 * a detection that overlaps a detection of the same source's previous frame that was kept (checked, or vouched
 * for itself) is kept without a check, at most `reuseFrames` frames in a row before it is checked again. A
 * face that follows itself from frame to frame is the same face; the check is what costs (one more detector run
 * per face, recognition/face-plausibility.ts). Only the previous frame counts: a face that was missing for a
 * frame, or a source seen for the first time, is checked.
 */
export class PlausibilityMemory {
  /** Per source: the boxes kept in its last frame and how many frames in a row each went unchecked. */
  private readonly last = new Map<string, { box: Box; unchecked: number }[]>();

  constructor(
    /** 0: every detection is checked in every frame. */
    private readonly reuseFrames: number,
    /** Overlap (intersection over union) with a kept box of the previous frame that vouches for a detection. */
    private readonly minIou = 0.5,
    /** Sources remembered at most (the oldest is forgotten): a frame's camera header is not trusted to be few. */
    private readonly maxSources = 256,
  ) {}

  /** Which of a frame's detections need the check: `vouched[i]` is the unchecked count it would carry, or -1. */
  vouchedFor(source: string | undefined, found: readonly DetectedFace[]): number[] {
    const previous = source === undefined || this.reuseFrames === 0 ? undefined : this.last.get(source);
    return found.map((face) => {
      if (!previous) return -1;
      let best: { unchecked: number } | undefined;
      let bestIou = this.minIou;
      for (const p of previous) {
        const iou = intersectionOverUnion(p.box, face.box);
        if (iou >= bestIou) {
          best = p;
          bestIou = iou;
        }
      }
      return best !== undefined && best.unchecked < this.reuseFrames ? best.unchecked + 1 : -1;
    });
  }

  /** What this frame kept: `unchecked` 0 for a face checked now, else what vouchedFor gave it. */
  remember(source: string | undefined, kept: readonly { box: Box; unchecked: number }[]): void {
    if (source === undefined || this.reuseFrames === 0) return;
    this.last.delete(source);
    this.last.set(
      source,
      kept.map(({ box, unchecked }) => ({ box, unchecked })),
    );
    if (this.last.size > this.maxSources) {
      const oldest = this.last.keys().next().value;
      if (oldest !== undefined) this.last.delete(oldest);
    }
  }
}
