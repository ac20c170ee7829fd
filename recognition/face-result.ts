import type { MatchResult } from "./match.js";
import { UNKNOWN } from "./match.js";
import type { AnalysedFace } from "./pipeline.js";

/** One face as `identify --json` and the agent's detections report it (docs/design.md's CLI contract). */
export type FaceResult = {
  box: [number, number, number, number];
  score: number;
  landmarks: [number, number][];
  identity: string;
  distance?: number;
  confidence?: number;
};

const round = (v: number, digits: number) => Number(v.toFixed(digits));

export function toFaceResult(face: AnalysedFace, match: MatchResult | null): FaceResult {
  const result: FaceResult = {
    box: [round(face.box.x, 1), round(face.box.y, 1), round(face.box.width, 1), round(face.box.height, 1)],
    score: round(face.score, 4),
    landmarks: face.landmarks.map((p) => [round(p.x, 1), round(p.y, 1)]),
    identity: match?.identity ?? UNKNOWN,
  };
  if (match && "distance" in match) result.distance = round(match.distance, 4);
  if (match && "confidence" in match) result.confidence = round(match.confidence, 4);
  return result;
}
