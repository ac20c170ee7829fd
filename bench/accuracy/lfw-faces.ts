import { createHash } from "node:crypto";
import { mkdirSync } from "node:fs";
import { getRecognizer } from "../../models/manifest.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { centralFace, FaceCache } from "./face-cache.js";

/** LFW deep-funneled pictures are 250 x 250 with the labelled person in the middle. */
export const LFW_SIZE = 250;

/** The cache file's name: the recognizer, the detector and the alignment template, each with its sha256 prefix. */
export function modelTag(pipeline: RecognitionPipeline): string {
  const recognizer = pipeline.embedder.loaded.model;
  const detector = pipeline.detector.loaded.model;
  const alignment = createHash("sha256").update(JSON.stringify(recognizer.alignment)).digest("hex").slice(0, 8);
  // The plausibility check changes which detections there are: its minimum score is part of the cache's name.
  const checked = pipeline.plausibility ? `-check${pipeline.plausibility.settings.minScore}` : "";
  return `${recognizer.id}-${recognizer.sha256.slice(0, 12)}-${detector.id}-${detector.sha256.slice(0, 12)}-align${alignment}${checked}`;
}

/**
 * A recognizer's embeddings of LFW pictures as bench/accuracy and bench/calibration both take them: YuNet at score
 * 0.3 (LFW shows one labelled face, a lower threshold finds it in hard pictures), the face nearest the centre,
 * cached in bench/.cache per model so the two benchmarks share the work.
 */
export async function openLfwFaces(recognizerId: string, threads: number) {
  const model = getRecognizer(recognizerId);
  const pipeline = await RecognitionPipeline.load({
    recognizer: recognizerId,
    precision: model.precision === "int8" ? "int8" : "fp32",
    executionProvider: "cpu",
    threads,
    detectScoreThreshold: 0.3,
  });
  mkdirSync("bench/.cache", { recursive: true });
  const cache = new FaceCache(`bench/.cache/lfw-faces-${modelTag(pipeline)}.json`, model.embeddingSize);
  return {
    pipeline,
    /** The central face's embedding, or null when no face was found. */
    embedding: async (path: string) => centralFace(await cache.faces(pipeline, path), LFW_SIZE, LFW_SIZE)?.embedding ?? null,
    save: () => cache.save(),
  };
}
