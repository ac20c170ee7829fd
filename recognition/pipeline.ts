import { performance } from "node:perf_hooks";
import { defaultModelId } from "../models/default-model.js";
import { detectorPrecision, resolvePrecision } from "../models/execution-provider.js";
import { getDetector, getRecognizer, loadManifest } from "../models/manifest.js";
import { modelDirs } from "../models/model-dirs.js";
import { openModelSession } from "../models/model-session.js";
import { alignFace } from "./align.js";
import { decodeImage } from "./decode.js";
import { FaceDetector } from "./detect.js";
import { FaceEmbedder } from "./embed.js";
import type { DetectedFace } from "./face.js";
import { defaultPlausibilitySettings, FacePlausibilityCheck, type RejectedFace } from "./face-plausibility.js";
import type { RecognizerStamp } from "./gallery.js";
import { type GalleryThreshold, galleryThreshold } from "./gallery-threshold.js";
import type { RgbImage } from "./image.js";
import { type RecognitionSettingsInput, recognitionSettingsSchema } from "./recognition-settings.js";

/** A detected face, with its embedding when it was large enough to be recognised. */
export type AnalysedFace = DetectedFace & { embedding: Float32Array | null };

/** Milliseconds per stage for one picture; `detect` includes the plausibility check (a second detector pass per face). */
export type StageTimings = { decode: number; detect: number; align: number; embed: number };

/** `rejected`: detections the plausibility check refused (not in `faces`). */
export type Analysis = { image: RgbImage; faces: AnalysedFace[]; rejected: RejectedFace[]; timings: StageTimings };

/** decode -> detect -> align -> embed, with both models loaded once. Matching is the caller's (gallery or classifier). */
export class RecognitionPipeline {
  private constructor(
    readonly detector: FaceDetector,
    readonly embedder: FaceEmbedder,
    readonly minFaceSize: number,
    /** null: every detection is kept (plausibilityCheck: false). */
    readonly plausibility: FacePlausibilityCheck | null,
  ) {}

  /** Detections the plausibility check has refused since the pipeline was loaded. */
  rejectedTotal = 0;

  static async load(input: RecognitionSettingsInput = {}): Promise<RecognitionPipeline> {
    const settings = recognitionSettingsSchema.parse(input);
    const manifest = loadManifest();
    const dirs = modelDirs(settings.modelDirs);
    const sessionOptions = { dirs, executionProvider: settings.executionProvider, threads: settings.threads };
    // The provider decides the default precision; try the fp32 detector first to learn which provider loads.
    const detectorProbeId = settings.detector ?? manifest.defaults.detector.fp32;
    let detectorSession = await openModelSession(getDetector(detectorProbeId, manifest), sessionOptions);
    const precision = resolvePrecision(settings.precision, detectorSession.provider);
    const automatic = settings.precision === "auto";
    if (!settings.detector && detectorPrecision(precision) === "int8") {
      const detectorId = defaultModelId(manifest.defaults.detector, "int8", automatic, (id) => getDetector(id, manifest), dirs);
      if (detectorId !== detectorProbeId) detectorSession = await openModelSession(getDetector(detectorId, manifest), sessionOptions);
    }
    const recognizerId =
      settings.recognizer ?? defaultModelId(manifest.defaults.recognizer, precision, automatic, (id) => getRecognizer(id, manifest), dirs);
    const recognizerSession = await openModelSession(getRecognizer(recognizerId, manifest), sessionOptions);
    const detector = new FaceDetector(detectorSession, {
      maxSide: settings.detectMaxSide,
      scoreThreshold: settings.detectScoreThreshold,
      nmsThreshold: 0.3,
      topK: 5000,
    });
    const embedder = new FaceEmbedder(recognizerSession);
    const plausibility = settings.plausibilityCheck
      ? new FacePlausibilityCheck(detectorSession, { ...defaultPlausibilitySettings, minScore: settings.plausibilityMinScore })
      : null;
    return new RecognitionPipeline(detector, embedder, settings.minFaceSize, plausibility);
  }

  get recognizer(): RecognizerStamp {
    const model = this.embedder.loaded.model;
    return { family: model.family, modelId: model.id, embeddingSize: model.embeddingSize };
  }

  /** Calibrated default thresholds of the loaded recognizer. */
  get thresholds(): { cosineDistance: number; classifierConfidence: number } {
    return this.embedder.loaded.model.thresholds;
  }

  /** The default distance threshold for a gallery of this many identities (recognition/gallery-threshold.ts). */
  galleryThreshold(identities: number, targetFalseAccept?: number): GalleryThreshold {
    return galleryThreshold(this.embedder.loaded.model, identities, targetFalseAccept);
  }

  /** Which model runs on which execution provider (for `doctor` and health reports). */
  describe(): { role: string; model: string; provider: string; skipped: string[]; sha256: string }[] {
    return [this.detector.loaded, this.embedder.loaded].map((m) => ({
      role: m.model.role,
      model: m.model.id,
      provider: m.provider,
      skipped: m.skipped,
      sha256: m.model.sha256,
    }));
  }

  async analyse(input: Buffer | Uint8Array | string): Promise<Analysis> {
    const t0 = performance.now();
    const image = await decodeImage(input);
    const t1 = performance.now();
    const { faces, rejected, timings } = await this.analyseImage(image);
    return { image, faces, rejected, timings: { ...timings, decode: t1 - t0 } };
  }

  async analyseImage(image: RgbImage): Promise<Omit<Analysis, "image">> {
    const t0 = performance.now();
    const found = await this.detector.detect(image);
    const { kept: detected, rejected } = this.plausibility ? await this.plausibility.split(image, found) : { kept: found, rejected: [] };
    this.rejectedTotal += rejected.length;
    const t1 = performance.now();
    const recognisable = detected.filter((f) => Math.min(f.box.width, f.box.height) >= this.minFaceSize);
    const crops = recognisable.map((f) => alignFace(image, f.landmarks, this.embedder.loaded.model.alignment));
    const t2 = performance.now();
    const embeddings = await this.embedder.embed(crops);
    const t3 = performance.now();
    const byFace = new Map(recognisable.map((f, i) => [f, embeddings[i] as Float32Array]));
    const faces = detected.map((f) => ({ ...f, embedding: byFace.get(f) ?? null }));
    return { faces, rejected, timings: { decode: 0, detect: t1 - t0, align: t2 - t1, embed: t3 - t2 } };
  }
}
