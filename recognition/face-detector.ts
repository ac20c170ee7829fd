import type { DetectorFamily, DetectorModel } from "../models/manifest-schema.js";
import type { ModelSession } from "../models/model-session.js";
import { YunetDetector } from "./detectors/yunet.js";
import type { DetectedFace } from "./face.js";
import type { RgbImage } from "./image.js";

export type DetectorSettings = {
  /** Longest side, in pixels, the frame is shrunk to before detection (dynamic-input models only). */
  maxSide: number;
  scoreThreshold: number;
  nmsThreshold: number;
  topK: number;
};

/** Score 0.7 (real faces in the shared pictures and video score 0.77-0.95, background false positives up to 0.69), NMS IoU 0.3 and top 5000 as opencv_zoo, detecting on at most 640 px. */
export const defaultDetectorSettings: DetectorSettings = { maxSide: 640, scoreThreshold: 0.7, nmsThreshold: 0.3, topK: 5000 };

/** The detection stage: a picture in, its faces with five landmarks out, in original image pixels, best first. */
export interface FaceDetector {
  readonly loaded: ModelSession<DetectorModel & { id: string }>;
  readonly settings: DetectorSettings;
  detect(image: RgbImage): Promise<DetectedFace[]>;
}

/** One implementation per detector family of the manifest (models/manifest-schema.ts's detectorFamilies). */
const detectorsByFamily: Record<
  DetectorFamily,
  (loaded: ModelSession<DetectorModel & { id: string }>, settings: DetectorSettings) => FaceDetector
> = {
  yunet: (loaded, settings) => new YunetDetector(loaded, settings),
};

/** The detector for a loaded model, chosen by the manifest entry's family. */
export function createFaceDetector(
  loaded: ModelSession<DetectorModel & { id: string }>,
  settings: DetectorSettings = defaultDetectorSettings,
): FaceDetector {
  return detectorsByFamily[loaded.model.family](loaded, settings);
}
