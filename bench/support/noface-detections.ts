import type { RecognitionPipeline } from "../../recognition/pipeline.js";
import type { NofacePicture } from "../../testing/noface-set.js";

export type NofaceDetections = {
  pictures: number;
  /** Detections before the plausibility check (the detector alone) and after it (what the pipeline reports). */
  before: { detections: number; picturesWithFace: number };
  after: { detections: number; picturesWithFace: number };
  found: { picture: string; score: number; keptByCheck: boolean }[];
};

/**
 * False positives of a pipeline on pictures with no human face: the detector's detections at the pipeline's score
 * threshold, before and after its plausibility check (recognition/face-plausibility.ts), from one analysis each.
 */
export async function countNofaceDetections(pipeline: RecognitionPipeline, pictures: readonly NofacePicture[]): Promise<NofaceDetections> {
  const counts = { before: { detections: 0, picturesWithFace: 0 }, after: { detections: 0, picturesWithFace: 0 } };
  const found: NofaceDetections["found"] = [];
  for (const picture of pictures) {
    const { faces, rejected } = await pipeline.analyse(picture.path);
    const all = faces.length + rejected.length;
    counts.before.detections += all;
    counts.after.detections += faces.length;
    if (all > 0) counts.before.picturesWithFace++;
    if (faces.length > 0) counts.after.picturesWithFace++;
    for (const face of faces) found.push({ picture: picture.name, score: round(face.score), keptByCheck: true });
    for (const face of rejected) found.push({ picture: picture.name, score: round(face.score), keptByCheck: false });
  }
  return { pictures: pictures.length, ...counts, found };
}

const round = (v: number) => Math.round(v * 1000) / 1000;
