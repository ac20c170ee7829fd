import type { RecognizerFamily, RecognizerModel } from "../models/manifest-schema.js";
import type { ModelSession } from "../models/model-session.js";
import type { DetectedFace } from "./face.js";
import type { RgbImage } from "./image.js";
import { RawChipRecognizer } from "./recognizers/raw-chip.js";

/**
 * The align and embed stages: a face's aligned chip (its five landmarks on the recognizer's template), and chips
 * in, unit-length embeddings out (one per chip, same order).
 */
export interface FaceRecognizer {
  readonly loaded: ModelSession<RecognizerModel & { id: string }>;
  readonly modelId: string;
  /**
   * Whether one session run embeds several chips (the model's input batch dimension is free). When it is fixed
   * at 1 (the official SFace file, sface-2021dec), `embed` runs once per chip.
   */
  readonly batchable: boolean;
  /** The chip this recognizer embeds, cut from the picture (recognition/align.ts). */
  align(image: RgbImage, landmarks: DetectedFace["landmarks"]): RgbImage;
  embed(chips: readonly RgbImage[]): Promise<Float32Array[]>;
}

/**
 * One implementation per recognizer family of the manifest (models/manifest-schema.ts's recognizerFamilies).
 * The three families facefleet knows take the same input, the chip as raw 0..255 NCHW with the normalisation
 * inside the graph, so one implementation serves them; a family that needs its own pre- or post-processing
 * gets its own file in recognizers/.
 */
const recognizersByFamily: Record<RecognizerFamily, (loaded: ModelSession<RecognizerModel & { id: string }>) => FaceRecognizer> = {
  "sface-2021dec": (loaded) => new RawChipRecognizer(loaded),
  "face-api-resnet-v1": (loaded) => new RawChipRecognizer(loaded),
  "mobilefacenet-sirius-ai": (loaded) => new RawChipRecognizer(loaded),
};

/** The recognizer for a loaded model, chosen by the manifest entry's family. */
export function createFaceRecognizer(loaded: ModelSession<RecognizerModel & { id: string }>): FaceRecognizer {
  return recognizersByFamily[loaded.model.family](loaded);
}
