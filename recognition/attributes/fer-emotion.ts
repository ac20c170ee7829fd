import type { AttributeModelEntry } from "../../models/manifest-schema.js";
import type { ModelSession } from "../../models/model-session.js";
import type { DetectedFace } from "../face.js";
import type { RgbImage } from "../image.js";
import { squareCrop } from "../square-crop.js";
import type { AttributeModel, AttributeValue } from "./attribute-model.js";
import { classProbabilities, roundConfidence, topClass } from "./class-probabilities.js";

/** OpenCV's BGR2GRAY (and fer's input): 0.299 R + 0.587 G + 0.114 B, rounded. */
export function toGray(image: RgbImage): Float32Array {
  const out = new Float32Array(image.width * image.height);
  for (let i = 0; i < out.length; i++) {
    out[i] = Math.round(
      0.299 * (image.data[i * 3] as number) + 0.587 * (image.data[i * 3 + 1] as number) + 0.114 * (image.data[i * 3 + 2] as number),
    );
  }
  return out;
}

/**
 * fer's emotion classifier (family fer-mini-xception, models/export/export_fer_emotion.py): a square box crop
 * (the box's longer side, centred, plus the manifest's `margin` of it on each side, as fer squares its Haar box
 * and adds 10 px), area-averaged to 64x64, in gray; the value is the most probable of the seven emotions.
 */
export class FerEmotionModel implements AttributeModel {
  readonly attribute = "emotion" as const;

  constructor(readonly loaded: ModelSession<AttributeModelEntry & { id: string }>) {
    if (loaded.model.crop.kind !== "box") throw new Error(`${loaded.model.id}: fer-mini-xception takes a box crop`);
  }

  get modelId(): string {
    return this.loaded.model.id;
  }

  /** The 64x64 crop as RGB (what the model's gray input is made of; also what a reader checks by eye). */
  crop(image: RgbImage, face: DetectedFace): RgbImage {
    const { crop } = this.loaded.model;
    const margin = crop.kind === "box" ? crop.margin : 0;
    const { box } = face;
    const side = Math.max(box.width, box.height) * (1 + 2 * margin);
    return squareCrop(image, { x: box.x + box.width / 2, y: box.y + box.height / 2 }, side, crop.size);
  }

  input(image: RgbImage, face: DetectedFace): Float32Array {
    return toGray(this.crop(image, face));
  }

  async estimate(inputs: readonly Float32Array[]): Promise<AttributeValue[]> {
    const { labels } = this.loaded.model;
    return (await classProbabilities(this.loaded, inputs)).map((p) => {
      const top = topClass(p);
      return { value: labels[top.index] as string, confidence: roundConfidence(top.probability) };
    });
  }
}
