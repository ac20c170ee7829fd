import { defaultModelId } from "../models/default-model.js";
import { detectorPrecision, resolvePrecision } from "../models/execution-provider.js";
import { getDetector } from "../models/manifest.js";
import type { Manifest } from "../models/manifest-schema.js";
import { openModelSession, type SessionOptions } from "../models/model-session.js";
import type { DetectedFace } from "./face.js";
import { createFaceDetector, type FaceDetector } from "./face-detector.js";
import { defaultPlausibilitySettings, FacePlausibilityCheck, type RejectedFace } from "./face-plausibility.js";
import type { RgbImage } from "./image.js";
import { PlausibilityMemory } from "./plausibility-memory.js";
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

  /** Detections kept without the plausibility check since the stage was loaded (they followed a kept face). */
  checksSkipped = 0;
  private readonly memory: PlausibilityMemory;

  constructor(
    readonly detector: FaceDetector,
    /** null: every detection is kept (plausibilityCheck: false). */
    readonly plausibility: FacePlausibilityCheck | null,
    /** The precision the settings resolved to on the provider that loaded (it also picks the recognizer). */
    readonly precision: "fp32" | "int8",
    /** recognition.plausibilityReuseFrames (0: every detection checked in every frame). */
    plausibilityReuseFrames = 0,
  ) {
    this.memory = new PlausibilityMemory(plausibilityReuseFrames);
  }

  /**
   * A picture's faces. `source` (a camera): the plausibility check is skipped for a face that follows one kept in
   * the source's previous frame (plausibility-memory.ts, recognition.plausibilityReuseFrames); without it every
   * detection is checked.
   */
  async detect(image: RgbImage, source?: string): Promise<DetectedFaces> {
    const found = await this.detector.detect(image);
    if (!this.plausibility) return { faces: found, rejected: [] };
    const vouched = this.memory.vouchedFor(source, found);
    const toCheck = found.filter((_, i) => (vouched[i] ?? -1) < 0);
    const { kept, rejected } = await this.plausibility.split(image, toCheck);
    const checkedAndKept = new Set(kept);
    const faces: DetectedFace[] = [];
    const remembered: { box: DetectedFace["box"]; unchecked: number }[] = [];
    found.forEach((face, i) => {
      const unchecked = vouched[i] ?? -1;
      if (unchecked < 0 && !checkedAndKept.has(face)) return;
      faces.push(face);
      remembered.push({ box: face.box, unchecked: Math.max(0, unchecked) });
    });
    this.memory.remember(source, remembered);
    this.checksSkipped += found.length - toCheck.length;
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
    return new DetectStage(detector, plausibility, precision, settings.plausibilityReuseFrames);
  }
}
