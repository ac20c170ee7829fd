import { defaultModelId } from "../models/default-model.js";
import { detectorPrecision, resolvePrecision } from "../models/execution-provider.js";
import { getDetector } from "../models/manifest.js";
import type { Manifest } from "../models/manifest-schema.js";
import { openModelSession, type SessionOptions } from "../models/model-session.js";
import type { DetectedFace } from "./face.js";
import { createFaceDetector, type FaceDetector } from "./face-detector.js";
import { defaultPlausibilitySettings, FacePlausibilityCheck, type RejectedFace } from "./face-plausibility.js";
import type { RgbImage } from "./image.js";
import type { RecognitionSettings } from "./recognition-settings.js";

/** The detect stage's answer: faces kept, best first, and those the plausibility check refused. */
export type DetectedFaces = { faces: DetectedFace[]; rejected: RejectedFace[] };

/**
 * The detect stage on its own: the detector, then the plausibility check on what it found. The pipeline holds
 * one (recognition/pipeline.ts); the agent can run a second one in a thread of its own (detect-thread.ts).
 */
export class DetectStage {
  /** Detections the plausibility check has refused since the stage was loaded. */
  rejectedTotal = 0;

  constructor(
    readonly detector: FaceDetector,
    /** null: every detection is kept (plausibilityCheck: false). */
    readonly plausibility: FacePlausibilityCheck | null,
    /** The precision the settings resolved to on the provider that loaded (it also picks the recognizer). */
    readonly precision: "fp32" | "int8",
  ) {}

  async detect(image: RgbImage): Promise<DetectedFaces> {
    const found = await this.detector.detect(image);
    const { kept: faces, rejected } = this.plausibility ? await this.plausibility.split(image, found) : { kept: found, rejected: [] };
    this.rejectedTotal += rejected.length;
    return { faces, rejected };
  }

  /**
   * Opens the detector the settings ask for. The provider decides the default precision, so the fp32 detector
   * is tried first to learn which provider loads; on ARM the int8 one then replaces it (models/execution-provider.ts).
   */
  static async load(settings: RecognitionSettings, manifest: Manifest, sessionOptions: SessionOptions): Promise<DetectStage> {
    const probeId = settings.detector ?? manifest.defaults.detector.fp32;
    let session = await openModelSession(getDetector(probeId, manifest), sessionOptions);
    const precision = resolvePrecision(settings.precision, session.provider);
    if (!settings.detector && detectorPrecision(precision) === "int8") {
      const automatic = settings.precision === "auto";
      const id = defaultModelId(manifest.defaults.detector, "int8", automatic, (i) => getDetector(i, manifest), sessionOptions.dirs);
      if (id !== probeId) session = await openModelSession(getDetector(id, manifest), sessionOptions);
    }
    const detector = createFaceDetector(session, {
      maxSide: settings.detectMaxSide,
      scoreThreshold: settings.detectScoreThreshold,
      nmsThreshold: 0.3,
      topK: 5000,
    });
    const plausibility = settings.plausibilityCheck
      ? new FacePlausibilityCheck(session, { ...defaultPlausibilitySettings, minScore: settings.plausibilityMinScore })
      : null;
    return new DetectStage(detector, plausibility, precision);
  }
}
