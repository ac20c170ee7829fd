import type { AttributeModelEntry, AttributeName } from "../../models/manifest-schema.js";
import type { ModelSession } from "../../models/model-session.js";
import type { DetectedFace } from "../face.js";
import type { RgbImage } from "../image.js";

/** One estimated attribute of a face: its value (a class label, or a number such as an age) and how sure the model is (0..1). */
export type AttributeValue = { value: string | number; confidence: number };

/** A face's attributes by name (`emotion`, `age`, `gender`): only those that were estimated. */
export type FaceAttributes = Partial<Record<AttributeName, AttributeValue>>;

/**
 * A per-face attribute model (a plug-in, one file per family in this folder, chosen by family in
 * attribute-models.ts): it cuts its own input from the picture (`input`: the face aligned on the model's
 * template, or a box crop, as raw pixels in the model's layout and channel order, manifest `crop` and `input`),
 * and turns a batch of such inputs into one value per face (`estimate`).
 */
export interface AttributeModel {
  readonly attribute: AttributeName;
  readonly modelId: string;
  readonly loaded: ModelSession<AttributeModelEntry & { id: string }>;
  /** The raw pixels the network sees for one face: planar float32, `channels` x size x size, before inputScaling. */
  input(image: RgbImage, face: DetectedFace): Float32Array;
  /** One value per input, same order (one session run for all of them). */
  estimate(inputs: readonly Float32Array[]): Promise<AttributeValue[]>;
}
