import { performance } from "node:perf_hooks";
import { defaultModelId } from "../models/default-model.js";
import { getRecognizer, loadManifest } from "../models/manifest.js";
import { modelDirs } from "../models/model-dirs.js";
import { openModelSession } from "../models/model-session.js";
import { decodeImage } from "./decode.js";
import { type DetectedFaces, DetectStage } from "./detect-stage.js";
import type { DetectedFace } from "./face.js";
import type { FaceDetector } from "./face-detector.js";
import type { FacePlausibilityCheck, RejectedFace } from "./face-plausibility.js";
import { createFaceRecognizer, type FaceRecognizer } from "./face-recognizer.js";
import type { RecognizerStamp } from "./gallery.js";
import { type GalleryThreshold, galleryThreshold } from "./gallery-threshold.js";
import type { RgbImage } from "./image.js";
import { type RecognitionSettingsInput, recognitionSettingsSchema } from "./recognition-settings.js";

/** A detected face with the chip it was aligned to and its embedding (both made once, by `recognise`). */
export type RecognisedFace<F extends DetectedFace = DetectedFace> = F & { chip: RgbImage; embedding: Float32Array };

/** A detected face, with its chip and embedding when it was large enough to be recognised. */
export type AnalysedFace = DetectedFace & { chip: RgbImage | null; embedding: Float32Array | null };

export type { DetectedFaces } from "./detect-stage.js";

/** Milliseconds per stage for one picture; `detect` includes the plausibility check (a second detector pass per face). */
export type StageTimings = { decode: number; detect: number; align: number; embed: number };

/** `rejected`: detections the plausibility check refused (not in `faces`). */
export type Analysis = { image: RgbImage; faces: AnalysedFace[]; rejected: RejectedFace[]; timings: StageTimings };

/**
 * decode -> detect -> align -> embed, with both models loaded once. Matching is the caller's (gallery or classifier).
 * The stages are separate calls (`decode`, `detect`, `recognise`) for a caller that recognises only some faces
 * (the agent's worker, agent/worker/frame-processor.ts); `analyse` composes them for every face (CLI, benchmarks).
 */
export class RecognitionPipeline {
  private constructor(
    /** The detector and the plausibility check (detect-stage.ts). */
    readonly detection: DetectStage,
    /** The recognizer (align + embed), chosen by its model's family. */
    readonly embedder: FaceRecognizer,
    readonly minFaceSize: number,
  ) {}

  get detector(): FaceDetector {
    return this.detection.detector;
  }

  /** null: every detection is kept (plausibilityCheck: false). */
  get plausibility(): FacePlausibilityCheck | null {
    return this.detection.plausibility;
  }

  /** Detections the plausibility check has refused since the pipeline was loaded. */
  get rejectedTotal(): number {
    return this.detection.rejectedTotal;
  }

  static async load(input: RecognitionSettingsInput = {}): Promise<RecognitionPipeline> {
    const settings = recognitionSettingsSchema.parse(input);
    const manifest = loadManifest();
    const dirs = modelDirs(settings.modelDirs);
    const sessionOptions = { dirs, executionProvider: settings.executionProvider, threads: settings.threads };
    const detection = await DetectStage.load(settings, manifest, sessionOptions);
    const automatic = settings.precision === "auto";
    const recognizerId =
      settings.recognizer ??
      defaultModelId(manifest.defaults.recognizer, detection.precision, automatic, (id) => getRecognizer(id, manifest), dirs);
    const recognizerSession = await openModelSession(getRecognizer(recognizerId, manifest), sessionOptions);
    return new RecognitionPipeline(detection, createFaceRecognizer(recognizerSession), settings.minFaceSize);
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
  describe(): { role: string; model: string; precision: string; provider: string; skipped: string[]; sha256: string }[] {
    return [this.detector.loaded, this.embedder.loaded].map((m) => ({
      role: m.model.role,
      model: m.model.id,
      precision: m.model.precision,
      provider: m.provider,
      skipped: m.skipped,
      sha256: m.model.sha256,
    }));
  }

  /** Bytes or a file path to a picture (recognition/decode.ts; DecodeError for what is none). */
  decode(input: Buffer | Uint8Array | string): Promise<RgbImage> {
    return decodeImage(input);
  }

  /**
   * The detect stage: the detector, then the plausibility check on what it found (counted in rejectedTotal);
   * `source`: the camera of a stream of frames (detect-stage.ts: a face that follows a kept one is not checked again).
   */
  detect(image: RgbImage, source?: string): Promise<DetectedFaces> {
    return this.detection.detect(image, source);
  }

  /** Whether a face is large enough to be named (minFaceSize: its shorter box side, original pixels). */
  isRecognisable(face: DetectedFace): boolean {
    return Math.min(face.box.width, face.box.height) >= this.minFaceSize;
  }

  /**
   * The align and embed stages for the faces given (the caller chooses which): each face's chip is cut once,
   * then all chips are embedded in one session run (one run per chip when the recognizer takes no batch).
   */
  async recognise<F extends DetectedFace>(
    image: RgbImage,
    faces: readonly F[],
  ): Promise<{ faces: RecognisedFace<F>[]; timings: { align: number; embed: number } }> {
    const t0 = performance.now();
    const chips = faces.map((f) => this.embedder.align(image, f.landmarks));
    const t1 = performance.now();
    const embeddings = await this.embedder.embed(chips);
    const t2 = performance.now();
    return {
      faces: faces.map((f, i) => ({ ...f, chip: chips[i] as RgbImage, embedding: embeddings[i] as Float32Array })),
      timings: { align: t1 - t0, embed: t2 - t1 },
    };
  }

  /** Every stage for every face: decode, detect, then align and embed each face large enough to be named. */
  async analyse(input: Buffer | Uint8Array | string): Promise<Analysis> {
    const t0 = performance.now();
    const image = await this.decode(input);
    const t1 = performance.now();
    const { faces, rejected, timings } = await this.analyseImage(image);
    return { image, faces, rejected, timings: { ...timings, decode: t1 - t0 } };
  }

  async analyseImage(image: RgbImage): Promise<Omit<Analysis, "image">> {
    const t0 = performance.now();
    const { faces: detected, rejected } = await this.detect(image);
    const t1 = performance.now();
    const recognisable = detected.filter((f) => this.isRecognisable(f));
    const recognised = await this.recognise(image, recognisable);
    const byFace = new Map<DetectedFace, RecognisedFace>(recognisable.map((f, i) => [f, recognised.faces[i] as RecognisedFace]));
    const faces = detected.map((f) => {
      const done = byFace.get(f);
      return { ...f, chip: done?.chip ?? null, embedding: done?.embedding ?? null };
    });
    return { faces, rejected, timings: { decode: 0, detect: t1 - t0, ...recognised.timings } };
  }
}
