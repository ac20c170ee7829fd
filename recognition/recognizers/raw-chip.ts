import * as ort from "onnxruntime-node";
import type { RecognizerModel } from "../../models/manifest-schema.js";
import type { ModelSession } from "../../models/model-session.js";
import { alignFace } from "../align.js";
import type { DetectedFace } from "../face.js";
import type { FaceRecognizer } from "../face-recognizer.js";
import type { RgbImage } from "../image.js";

/** Scales a vector to unit length in place (a zero vector stays zero). */
export function l2Normalize(v: Float32Array): Float32Array {
  let sum = 0;
  for (const x of v) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < v.length; i++) v[i] = (v[i] as number) / norm;
  return v;
}

/**
 * A recognizer whose network takes the aligned chip as it is: planar NCHW float32, raw 0..255, in the channel
 * order of the manifest's input (RGB or BGR), any normalisation inside the graph; its first output is the
 * embedding, L2-normalised here. SFace (sface-2021dec), face-api's dlib ResNet (face-api-resnet-v1) and
 * MobileFaceNet (mobilefacenet-sirius-ai) are all such networks. A frame's chips go into one session run when
 * the input's batch dimension is free, else one run per chip.
 */
export class RawChipRecognizer implements FaceRecognizer {
  readonly batchable: boolean;

  constructor(readonly loaded: ModelSession<RecognizerModel & { id: string }>) {
    this.batchable = typeof loaded.model.input.shape[0] !== "number" || loaded.model.input.shape[0] !== 1;
  }

  get modelId(): string {
    return this.loaded.model.id;
  }

  align(image: RgbImage, landmarks: DetectedFace["landmarks"]): RgbImage {
    return alignFace(image, landmarks, this.loaded.model.alignment);
  }

  async embed(crops: readonly RgbImage[]): Promise<Float32Array[]> {
    if (crops.length === 0) return [];
    if (!this.batchable && crops.length > 1) {
      const out: Float32Array[] = [];
      for (const crop of crops) out.push(...(await this.embed([crop])));
      return out;
    }
    const { size } = this.loaded.model.alignment;
    const plane = size * size;
    const swap = this.loaded.model.input.channels === "BGR";
    const tensor = new Float32Array(crops.length * 3 * plane);
    crops.forEach((crop, n) => {
      const base = n * 3 * plane;
      for (let i = 0; i < plane; i++) {
        const r = crop.data[i * 3] as number;
        const g = crop.data[i * 3 + 1] as number;
        const b = crop.data[i * 3 + 2] as number;
        tensor[base + i] = swap ? b : r;
        tensor[base + plane + i] = g;
        tensor[base + 2 * plane + i] = swap ? r : b;
      }
    });
    const feeds = { [this.loaded.session.inputNames[0] as string]: new ort.Tensor("float32", tensor, [crops.length, 3, size, size]) };
    const results = await this.loaded.session.run(feeds);
    const output = results[this.loaded.session.outputNames[0] as string];
    if (!output) throw new Error("recognizer produced no output");
    const data = output.data as Float32Array;
    const dim = this.loaded.model.embeddingSize;
    return crops.map((_, n) => l2Normalize(Float32Array.from(data.subarray(n * dim, (n + 1) * dim))));
  }
}
