import type { EnrollmentRefusal } from "../../recognition/dominant-face.js";
import { type EnrollmentSource, embedEnrollmentSources } from "../../recognition/enrollment.js";
import type { RecognitionPipeline } from "../../recognition/pipeline.js";

/** An enrollment refusal in words, as the benchmark results print it. */
export const REFUSAL_TEXT: Record<EnrollmentRefusal, string> = {
  "no-face": "no face found",
  ambiguous: "several faces, none clearly the subject",
  "too-small": "face too small",
  blurred: "face blurred",
  turned: "face turned",
};

export type EnrollmentRefusals = {
  pictures: number;
  accepted: number;
  refused: number;
  /** Refused pictures per reason (REFUSAL_TEXT; "unreadable" for a picture that could not be decoded). */
  reasons: Record<string, number>;
  /** Accepted pictures whose other, smaller faces were left out. */
  acceptedWithBackgroundFaces: number;
};

/** The pictures `facefleet enroll` would refuse with this pipeline (recognition/enrollment.ts, the same code), counted by reason. */
export async function countEnrollmentRefusals(
  pipeline: RecognitionPipeline,
  sources: readonly EnrollmentSource[],
): Promise<EnrollmentRefusals> {
  const result = await embedEnrollmentSources(pipeline, sources);
  const reasons: Record<string, number> = {};
  for (const rejection of result.rejected) {
    const key = rejection.refusal ? REFUSAL_TEXT[rejection.refusal] : "unreadable";
    reasons[key] = (reasons[key] ?? 0) + 1;
  }
  return {
    pictures: sources.length,
    accepted: result.accepted,
    refused: result.rejected.length,
    reasons,
    acceptedWithBackgroundFaces: result.ignored.length,
  };
}
