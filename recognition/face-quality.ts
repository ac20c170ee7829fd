import { type AlignmentSpec, alignFace } from "./align.js";
import type { DetectedFace } from "./face.js";
import type { RgbImage } from "./image.js";

/** Why a face is unfit to recognise or enroll, worst first in `FaceQuality.issues`. */
export type FaceQualityIssueKind = "too-small" | "blurred" | "turned";
export type FaceQualityIssue = { kind: FaceQualityIssueKind; message: string };

/** Head pose read off the 5 landmarks (see `facePose`). */
export type FacePose = {
  /** Tilt of the eye line, degrees (positive: clockwise in the picture). */
  rollDegrees: number;
  /** Nose offset from the middle of the eyes along the eye line, in eye distances (0 frontal, ±0.5 under an eye). */
  yaw: number;
  /** Where the nose sits between the eye line (0) and the mouth line (1); about 0.56 frontal, lower looking up, higher looking down. */
  pitch: number;
};

export type FaceQuality = {
  /** 1 for a large, sharp, frontal, confidently detected face; 0 when any issue is raised. The product of `factors`. */
  score: number;
  /** Each measurement as a factor in [0, 1]: 0 at its refusal limit or worse, 1 at its `full` value or better. */
  factors: { size: number; detector: number; pose: number; sharpness: number };
  /** Shorter side of the detection box, original pixels. */
  sizePixels: number;
  detectorScore: number;
  pose: FacePose;
  /** Laplacian variance over mean squared gradient of the grey aligned chip, eyes to chin (see `chipSharpness`). */
  sharpness: number;
  /** Empty when the face is usable; otherwise what is wrong with it, in words, worst (too small, blurred, turned) first. */
  issues: FaceQualityIssue[];
};

/** A measurement's range: the factor is 0 at `reject` or worse (an issue is raised), 1 at `full` or better, linear between. */
export type QualityRange = { reject: number; full: number };

export type FaceQualityLimits = {
  /** Shorter box side, pixels. */
  size: QualityRange;
  /** YuNet's score (no issue is raised for it: the detector's own threshold already decides what is a face). */
  detector: QualityRange;
  /**
   * |roll| in degrees: a tilted head is aligned upright, so it costs little and is refused only from 90 degrees
   * (YuNet's landmarks also under-read roll: 8 degrees for a face rotated 25).
   */
  rollDegrees: QualityRange;
  /** |yaw| as in FacePose. */
  yaw: QualityRange;
  /** |pitch - frontal pitch|. */
  pitch: QualityRange;
  /** As in FaceQuality.sharpness. */
  sharpness: QualityRange;
};

/** Frontal pitch (nose between eye line and mouth line) of YuNet's landmarks on LFW's frontal faces. */
export const FRONTAL_PITCH = 0.56;

/**
 * Limits checked on the shared LFW dev gallery and probes (bench/enrollment, bench/results/enrollment.md): the size
 * limit refuses every face shrunk to 30 px and a third of those shrunk to 40 px; the sharpness limit refuses 132 of
 * 135 LFW faces blurred with a Gaussian of sigma 3, 47 with sigma 2, 1 with sigma 1, and 1 of LFW's 2912 pictures
 * as it is; the yaw limit (the nose under an eye) refuses 9 of 2827 faces: the recognizer still matched the faces
 * turned less than that to the person's other pictures, so it only refuses near-profiles, whose landmarks are
 * unreliable too. Pitch: LFW's faces are 0.50-0.63.
 */
export const DEFAULT_QUALITY_LIMITS: FaceQualityLimits = {
  size: { reject: 40, full: 96 },
  detector: { reject: 0.5, full: 0.9 },
  rollDegrees: { reject: 90, full: 20 },
  yaw: { reject: 0.5, full: 0.1 },
  pitch: { reject: 0.3, full: 0.1 },
  sharpness: { reject: 0.25, full: 1 },
};

/** The chip sharpness is measured on: 112 x 112, ArcFace's 5-point template (the same for every recognizer). */
const CHIP: AlignmentSpec = {
  size: 112,
  template: [
    [38.2946, 51.6963],
    [73.5318, 51.5014],
    [56.0252, 71.7366],
    [41.5493, 92.3655],
    [70.7299, 92.2041],
  ],
};
/** Eyes to chin of the chip, inside the face whatever the pose: rows 36..104, columns 28..84. */
const REGION = { x0: 28, x1: 84, y0: 36, y1: 104 };

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/** Factor of a measurement where higher is better (size, score, sharpness). */
function factor(value: number, range: QualityRange): number {
  if (range.full === range.reject) return value >= range.full ? 1 : 0;
  return clamp01((value - range.reject) / (range.full - range.reject));
}

/**
 * Pose from the landmarks (right eye, left eye, nose, right and left mouth corner, as YuNet gives them), in the
 * frame of the eye line: roll is the eye line's angle; yaw is how far the nose sits off the middle of the eyes,
 * along the eye line, in eye distances; pitch is where the nose sits between the eye line and the mouth line.
 */
export function facePose(landmarks: DetectedFace["landmarks"]): FacePose {
  const [rightEye, leftEye, nose, rightMouth, leftMouth] = landmarks;
  const ex = leftEye.x - rightEye.x;
  const ey = leftEye.y - rightEye.y;
  const eyeDistance = Math.hypot(ex, ey) || 1;
  const ux = ex / eyeDistance;
  const uy = ey / eyeDistance;
  const mid = { x: (rightEye.x + leftEye.x) / 2, y: (rightEye.y + leftEye.y) / 2 };
  const mouth = { x: (rightMouth.x + leftMouth.x) / 2, y: (rightMouth.y + leftMouth.y) / 2 };
  // Along the eye line (u) and across it, downwards (v = u rotated by +90 degrees in picture coordinates).
  const along = (p: { x: number; y: number }) => (p.x - mid.x) * ux + (p.y - mid.y) * uy;
  const across = (p: { x: number; y: number }) => -(p.x - mid.x) * uy + (p.y - mid.y) * ux;
  const mouthDepth = across(mouth);
  return {
    rollDegrees: (Math.atan2(ey, ex) * 180) / Math.PI,
    yaw: along(nose) / eyeDistance,
    pitch: mouthDepth > 0 ? across(nose) / mouthDepth : Number.NaN,
  };
}

/**
 * Sharpness of the grey chip over REGION: the variance of its 4-neighbour Laplacian over the mean squared gradient
 * (central differences). Blur takes more from the second derivative than from the first, and the ratio does not
 * depend on the face's contrast or lighting; on LFW's faces it is 0.3-2.2, the same faces blurred with a Gaussian of
 * sigma 2 give 0.14-0.58, of sigma 3 0.09-0.31.
 */
export function chipSharpness(chip: RgbImage): number {
  const { width, data } = chip;
  const grey = new Float64Array(chip.width * chip.height);
  for (let i = 0; i < grey.length; i++)
    grey[i] = 0.299 * (data[3 * i] as number) + 0.587 * (data[3 * i + 1] as number) + 0.114 * (data[3 * i + 2] as number);
  let n = 0;
  let lapSum = 0;
  let lapSq = 0;
  let gradSq = 0;
  for (let y = REGION.y0; y < REGION.y1; y++) {
    for (let x = REGION.x0; x < REGION.x1; x++) {
      const i = y * width + x;
      const left = grey[i - 1] as number;
      const right = grey[i + 1] as number;
      const up = grey[i - width] as number;
      const down = grey[i + width] as number;
      const lap = left + right + up + down - 4 * (grey[i] as number);
      n++;
      lapSum += lap;
      lapSq += lap * lap;
      gradSq += ((right - left) / 2) ** 2 + ((down - up) / 2) ** 2;
    }
  }
  const lapVariance = lapSq / n - (lapSum / n) ** 2;
  // A flat chip (no gradient at all) has nothing to be sharp about.
  return gradSq / n < 1e-6 ? 0 : lapVariance / (gradSq / n);
}

const fixed = (v: number, digits: number) => v.toFixed(digits);

/**
 * How fit one detected face is to recognise or enroll, from what the pipeline already has: the box size, the
 * detector's score, the pose from the 5 landmarks and the sharpness of the face aligned upright. Tracking weights
 * faces by `score`; enrollment refuses a face with any `issues`, giving the first as the reason.
 */
export function faceQuality(image: RgbImage, face: DetectedFace, limits: FaceQualityLimits = DEFAULT_QUALITY_LIMITS): FaceQuality {
  const sizePixels = Math.min(face.box.width, face.box.height);
  const pose = facePose(face.landmarks);
  const sharpness = chipSharpness(alignFace(image, face.landmarks, CHIP));
  const pitchOffset = Number.isFinite(pose.pitch) ? Math.abs(pose.pitch - FRONTAL_PITCH) : Number.POSITIVE_INFINITY;
  const lowerIsBetter = (value: number, range: QualityRange) => factor(-value, { reject: -range.reject, full: -range.full });
  const factors = {
    size: factor(sizePixels, limits.size),
    detector: factor(face.score, limits.detector),
    pose:
      lowerIsBetter(Math.abs(pose.rollDegrees), limits.rollDegrees) *
      lowerIsBetter(Math.abs(pose.yaw), limits.yaw) *
      lowerIsBetter(pitchOffset, limits.pitch),
    sharpness: factor(sharpness, limits.sharpness),
  };
  const issues: FaceQualityIssue[] = [];
  if (sizePixels < limits.size.reject)
    issues.push({ kind: "too-small", message: `face too small (${Math.round(sizePixels)} px, needs ${limits.size.reject})` });
  if (sharpness <= limits.sharpness.reject)
    issues.push({
      kind: "blurred",
      message: `face blurred (sharpness ${fixed(sharpness, 3)}, needs more than ${limits.sharpness.reject})`,
    });
  const turned: string[] = [];
  if (Math.abs(pose.yaw) >= limits.yaw.reject)
    turned.push(`sideways: nose ${fixed(Math.abs(pose.yaw), 2)} eye distances off centre, limit ${limits.yaw.reject}`);
  if (pitchOffset >= limits.pitch.reject)
    turned.push(
      Number.isFinite(pitchOffset)
        ? `${pose.pitch < FRONTAL_PITCH ? "up" : "down"}: nose at ${fixed(pose.pitch, 2)} of eyes-to-mouth, frontal ${FRONTAL_PITCH} ± ${limits.pitch.reject}`
        : "landmarks out of order",
    );
  if (Math.abs(pose.rollDegrees) >= limits.rollDegrees.reject) turned.push(`tilted ${Math.round(pose.rollDegrees)} degrees`);
  if (turned.length > 0) issues.push({ kind: "turned", message: `face turned (${turned.join("; ")})` });
  const score = issues.length > 0 ? 0 : factors.size * factors.detector * factors.pose * factors.sharpness;
  return { score, factors, sizePixels, detectorScore: face.score, pose, sharpness, issues };
}
