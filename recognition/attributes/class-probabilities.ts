import * as ort from "onnxruntime-node";
import type { AttributeModelEntry } from "../../models/manifest-schema.js";
import type { ModelSession } from "../../models/model-session.js";

/**
 * Runs an attribute network on a batch of raw inputs (planar, channels x size x size each), applying the
 * manifest's inputScaling ((pixel - mean[channel]) * scale) first, and returns each input's class
 * probabilities (the networks here end in a softmax).
 */
export async function classProbabilities(
  loaded: ModelSession<AttributeModelEntry & { id: string }>,
  inputs: readonly Float32Array[],
): Promise<Float32Array[]> {
  if (inputs.length === 0) return [];
  const { model, session } = loaded;
  const { size } = model.crop;
  const channels = model.input.channels === "GRAY" ? 1 : 3;
  const plane = size * size;
  const per = channels * plane;
  const { mean, scale } = model.inputScaling;
  const tensor = new Float32Array(inputs.length * per);
  inputs.forEach((input, n) => {
    if (input.length !== per) throw new Error(`${model.id}: input of ${input.length} values, expected ${per}`);
    for (let c = 0; c < channels; c++) {
      const m = mean[c] ?? mean[0] ?? 0;
      const base = n * per + c * plane;
      for (let i = 0; i < plane; i++) tensor[base + i] = ((input[c * plane + i] as number) - m) * scale;
    }
  });
  const feeds = { [session.inputNames[0] as string]: new ort.Tensor("float32", tensor, [inputs.length, channels, size, size]) };
  const results = await session.run(feeds);
  const output = results[session.outputNames[0] as string];
  if (!output) throw new Error(`${model.id} produced no output`);
  const data = output.data as Float32Array;
  const classes = model.labels.length;
  if (data.length !== inputs.length * classes)
    throw new Error(`${model.id}: ${data.length} outputs for ${inputs.length} faces x ${classes} classes`);
  return inputs.map((_, n) => Float32Array.from(data.subarray(n * classes, (n + 1) * classes)));
}

/** The most probable class (the first of equals) and its probability. */
export function topClass(probabilities: Float32Array): { index: number; probability: number } {
  let index = 0;
  for (let i = 1; i < probabilities.length; i++) if ((probabilities[i] as number) > (probabilities[index] as number)) index = i;
  return { index, probability: probabilities[index] as number };
}

export const roundConfidence = (p: number): number => Math.round(p * 1000) / 1000;
