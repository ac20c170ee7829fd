import type { DetectedFace } from "./face.js";
import {
  DEFAULT_QUALITY_LIMITS,
  type FaceQuality,
  type FaceQualityIssueKind,
  type FaceQualityLimits,
  faceQuality,
} from "./face-quality.js";
import type { RgbImage } from "./image.js";

/**
 * When the largest face of a picture is its subject: its box area is at least `minAreaRatio` times the next largest
 * face's and it is the face nearest the picture's centre. A picture with one face needs neither.
 */
export type DominantFaceRule = { minAreaRatio: number };

/**
 * Tuned on the shared LFW dev gallery and probes (bench/enrollment, bench/results/enrollment.md): in every one of
 * their pictures whose largest face is at least 1.25x the next one's area, the largest is the labelled person and
 * the face nearest the centre; below 1.25x it is not in 4 of 35. 1.5 keeps a margin above that, and refuses
 * two_people.jpg (two people side by side, 1.1x) twice over: the larger of its faces is also the farther from the
 * centre.
 */
export const DEFAULT_DOMINANT_FACE_RULE: DominantFaceRule = { minAreaRatio: 1.5 };

/** Why no face of a picture is enrolled: none, no subject among several, or the subject's face is unfit. */
export type EnrollmentRefusal = "no-face" | "ambiguous" | FaceQualityIssueKind;

export type EnrollmentFaceChoice<F extends DetectedFace> =
  | { accepted: true; face: F & { embedding: Float32Array }; quality: FaceQuality; ignored: F[] }
  | { accepted: false; refusal: EnrollmentRefusal; reason: string };

export type EnrollmentFaceOptions = { rule?: DominantFaceRule; quality?: FaceQualityLimits };

const area = (f: DetectedFace) => f.box.width * f.box.height;

/** "ignored 1 background face" / "ignored 2 background faces" ("" for none). */
export function describeIgnored(count: number): string {
  return count === 0 ? "" : `ignored ${count} background face${count === 1 ? "" : "s"}`;
}

/**
 * The one face of a picture to enroll, or why there is none. The largest face is chosen when it is alone or
 * clearly the subject (DominantFaceRule: larger than the next by a margin, and the most central), and the others
 * are reported as ignored; several faces with no clear subject are refused as ambiguous, never guessed at; the
 * chosen face must have no quality issue (too small, blurred, turned: face-quality.ts) and an embedding
 * (`embedding: null` means the pipeline found it too small to recognise).
 */
export function chooseEnrollmentFace<F extends DetectedFace & { embedding: Float32Array | null }>(
  image: RgbImage,
  faces: readonly F[],
  options: EnrollmentFaceOptions = {},
): EnrollmentFaceChoice<F> {
  const rule = options.rule ?? DEFAULT_DOMINANT_FACE_RULE;
  const bySize = [...faces].sort((a, b) => area(b) - area(a));
  const [largest, next] = bySize;
  if (!largest) return { accepted: false, refusal: "no-face", reason: "no face found" };
  if (next) {
    const ratio = area(largest) / area(next);
    if (ratio < rule.minAreaRatio)
      return {
        accepted: false,
        refusal: "ambiguous",
        reason: `${faces.length} faces found and none is clearly the subject: the largest is ${ratio.toFixed(2)}x the area of the next (needs ${rule.minAreaRatio}x); use a picture of the person alone or cropped to them`,
      };
    const fromCentre = (f: DetectedFace) =>
      Math.hypot(f.box.x + f.box.width / 2 - image.width / 2, f.box.y + f.box.height / 2 - image.height / 2);
    const nearest = bySize.reduce((best, f) => (fromCentre(f) < fromCentre(best) ? f : best));
    if (nearest !== largest)
      return {
        accepted: false,
        refusal: "ambiguous",
        reason: `${faces.length} faces found and the largest is not the one nearest the picture's centre, so it may not be the subject; use a picture of the person alone or cropped to them`,
      };
  }
  const quality = faceQuality(image, largest, options.quality ?? DEFAULT_QUALITY_LIMITS);
  const [worst] = quality.issues;
  if (worst) return { accepted: false, refusal: worst.kind, reason: quality.issues.map((i) => i.message).join("; ") };
  const { embedding } = largest;
  if (!embedding)
    return { accepted: false, refusal: "too-small", reason: `face too small to recognise (${Math.round(quality.sizePixels)} px)` };
  return { accepted: true, face: { ...largest, embedding }, quality, ignored: bySize.slice(1) };
}
