import type { DetectorModel } from "../models/manifest-schema.js";
import type { ModelSession } from "../models/model-session.js";
import type { DetectedFace } from "./face.js";
import { createFaceDetector, type FaceDetector } from "./face-detector.js";
import type { Box, RgbImage } from "./image.js";
import { intersectionOverUnion } from "./nms.js";
import { squareCrop } from "./square-crop.js";

export type PlausibilitySettings = {
  /** A detection is kept when the detector finds it again with at least this score (bench/results/face-plausibility.md). */
  minScore: number;
  /** Side of the re-examined square, in face box sides (the face plus its surroundings). */
  context: number;
  /** The square is resized to this many pixels (the face then spans size / context pixels). */
  size: number;
  /** A re-detection counts when its box overlaps the face's own box by at least this IoU. */
  minOverlap: number;
};

export const defaultPlausibilitySettings: PlausibilitySettings = { minScore: 0.2, context: 2, size: 160, minOverlap: 0.3 };

/** A detection the check refused, with the score it got when re-examined. */
export type RejectedFace = DetectedFace & { plausibility: number };

/**
 * Is a detection a human face? YuNet at 0.7 fires now and then on animals and textures (a cat's or raccoon's
 * face, cell nuclei); its landmarks then look as face-like as a real face's (they are regressed, not found),
 * so landmark geometry cannot tell them apart, and the embeddings of such crops lie among real faces'.
 * What does: such a response is fragile. The face is cut out with its surroundings, brought to a standard
 * size (about 80 px) and given to the detector again, as it is and mirrored; a real face, frontal, tilted
 * or in profile, is found again (score >= minScore in either), a spurious one mostly is not.
 */
export class FacePlausibilityCheck {
  private readonly detector: FaceDetector;

  constructor(
    session: ModelSession<DetectorModel & { id: string }>,
    readonly settings: PlausibilitySettings = defaultPlausibilitySettings,
  ) {
    // Scores down to 0.05 are decoded so that a weak re-detection still has a score to report.
    this.detector = createFaceDetector(session, { maxSide: settings.size, scoreThreshold: 0.05, nmsThreshold: 0.3, topK: 50 });
  }

  /**
   * The best re-detection score of `face` (0 when it is not found again): the plain square first, the
   * mirrored one only when the plain one falls short of minScore.
   */
  async score(image: RgbImage, face: DetectedFace): Promise<number> {
    const { context, size, minScore } = this.settings;
    const side = context * Math.max(face.box.width, face.box.height);
    const centre = { x: face.box.x + face.box.width / 2, y: face.box.y + face.box.height / 2 };
    const scale = size / side;
    // The face's own box in the square's pixels; mirroring about the square's centre keeps it in place.
    const expected: Box = {
      x: size / 2 - (face.box.width * scale) / 2,
      y: size / 2 - (face.box.height * scale) / 2,
      width: face.box.width * scale,
      height: face.box.height * scale,
    };
    let best = 0;
    for (const mirror of [false, true]) {
      const found = await this.detector.detect(squareCrop(image, centre, side, size, mirror));
      for (const f of found) if (intersectionOverUnion(f.box, expected) >= this.settings.minOverlap) best = Math.max(best, f.score);
      if (best >= minScore) break;
    }
    return best;
  }

  /** Splits detections into those kept (same order) and those rejected, each with its score. */
  async split(image: RgbImage, faces: readonly DetectedFace[]): Promise<{ kept: DetectedFace[]; rejected: RejectedFace[] }> {
    const kept: DetectedFace[] = [];
    const rejected: RejectedFace[] = [];
    for (const face of faces) {
      const plausibility = await this.score(image, face);
      if (plausibility >= this.settings.minScore) kept.push(face);
      else rejected.push({ ...face, plausibility });
    }
    return { kept, rejected };
  }
}
