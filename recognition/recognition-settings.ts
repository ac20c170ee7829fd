import { z } from "zod";
import { executionProviderSchema, precisionSchema } from "../models/execution-provider.js";

/** How the recognition pipeline runs: shared by the CLI, the agent's config and the benchmarks. */
export const recognitionSettingsSchema = z.object({
  /**
   * Model directories, first hit wins (default, models/model-dirs.ts: FACEFLEET_MODELS, else the checkout's
   * .facefleet/models and ../shared/models where they exist, then ~/.local/share/facefleet/models).
   */
  modelDirs: z.array(z.string().min(1)).min(1).optional(),
  executionProvider: executionProviderSchema.default("auto"),
  precision: precisionSchema.default("auto"),
  /** Model ids from models/manifest.json; default: the manifest's default for the chosen precision. */
  detector: z.string().optional(),
  recognizer: z.string().optional(),
  /** onnxruntime intra-op threads per model (0 = one per core). */
  threads: z.number().int().min(0).max(64).default(0),
  /** Longest side a frame is shrunk to for detection. */
  detectMaxSide: z.number().int().min(64).max(4096).default(640),
  detectScoreThreshold: z.number().min(0).max(1).default(0.7),
  /** Faces smaller than this (shorter box side, original pixels) are reported but not named. */
  minFaceSize: z.number().min(0).default(20),
  /**
   * Re-examine every detection and drop those that are no human face (an animal, a texture): recognition/
   * face-plausibility.ts. Dropped faces are counted (Analysis.rejected, a detection's rejectedFaces).
   */
  plausibilityCheck: z.boolean().default(true),
  /** Re-detection score a detection needs to be kept (bench/results/face-plausibility.md). */
  plausibilityMinScore: z.number().min(0).max(1).default(0.2),
  /**
   * On a camera's frames (the agent): a detection that overlaps (IoU ≥ 0.5) a face kept in the camera's previous
   * frame is kept without the check, at most this many frames in a row before it is checked again
   * (recognition/plausibility-memory.ts). 0: every detection is checked in every frame. Single pictures
   * (`identify`, enrollment) are always checked.
   */
  plausibilityReuseFrames: z.number().int().min(0).max(1000).default(10),
});

export type RecognitionSettings = z.infer<typeof recognitionSettingsSchema>;
export type RecognitionSettingsInput = z.input<typeof recognitionSettingsSchema>;
