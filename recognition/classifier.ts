import { readFile } from "node:fs/promises";
import { z } from "zod";
import { writeFileAtomic } from "../core/atomic-write.js";
import { FacefleetError } from "../core/errors.js";
import { formatZodIssue } from "../core/format-issue.js";
import { decodeVector, encodeVector } from "./embedding-codec.js";
import type { RecognizerStamp } from "./gallery.js";
import { type FaceMatcher, type MatchResult, UNKNOWN } from "./match.js";

export type LabelledEmbedding = { label: string; vector: Float32Array };

export type TrainingOptions = { l2: number; iterations: number; learningRate: number; inputScale: number };

/**
 * Unit-length embeddings are multiplied by `inputScale` before the regression: without it the logits stay
 * small and, with hundreds of identities, every probability stays near 1/classes (measured on LFW: 10 gives
 * 97.6% closed-set accuracy in 200 steps, 1 gives 94.6% in 400 and no usable confidence). L2 1e-3 keeps a
 * classifier trained on a handful of pictures from overfitting (1e-5 named 2 of 7 knn test faces wrongly with int8).
 */
export const defaultTrainingOptions: TrainingOptions = { l2: 1e-3, iterations: 200, learningRate: 1, inputScale: 10 };

/** Multinomial logistic regression over embeddings: softmax(W (s x) + b), weights row-major [classes x dim]. */
export type LogisticRegression = {
  recognizer: RecognizerStamp;
  inputScale: number;
  classes: string[];
  weights: Float32Array;
  bias: Float32Array;
  l2: number;
  trainedAt: string;
  samples: number;
};

function logits(model: Pick<LogisticRegression, "weights" | "bias" | "classes" | "inputScale">, x: Float32Array, out: Float64Array): void {
  const dim = x.length;
  for (let k = 0; k < model.classes.length; k++) {
    let z = 0;
    const base = k * dim;
    for (let i = 0; i < dim; i++) z += (model.weights[base + i] as number) * (x[i] as number);
    out[k] = z * model.inputScale + (model.bias[k] as number);
  }
}

function softmaxInPlace(z: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let k = 0; k < z.length; k++) {
    z[k] = Math.exp((z[k] as number) - max);
    sum += z[k] as number;
  }
  for (let k = 0; k < z.length; k++) z[k] = (z[k] as number) / sum;
}

/** Class probabilities for one embedding, in the order of `model.classes`. */
export function predictProbabilities(model: LogisticRegression, x: Float32Array): Float64Array {
  const z = new Float64Array(model.classes.length);
  logits(model, x, z);
  softmaxInPlace(z);
  return z;
}

/**
 * Fits the regression by full-batch gradient descent with Nesterov momentum on the L2-regularised cross-entropy.
 * Deterministic: zero initial weights, samples in the given order.
 */
export function trainLogisticRegression(
  samples: readonly LabelledEmbedding[],
  recognizer: RecognizerStamp,
  options: TrainingOptions = defaultTrainingOptions,
  now = new Date(),
): LogisticRegression {
  const classes = [...new Set(samples.map((s) => s.label))].sort();
  if (classes.length < 2) throw new FacefleetError(`a classifier needs at least 2 identities, got ${classes.length}`);
  const dim = recognizer.embeddingSize;
  const k = classes.length;
  const index = new Map(classes.map((c, i) => [c, i]));
  const weights = new Float64Array(k * dim);
  const bias = new Float64Array(k);
  const velocityW = new Float64Array(k * dim);
  const velocityB = new Float64Array(k);
  const lookW = new Float32Array(k * dim);
  const lookB = new Float32Array(k);
  const gradW = new Float64Array(k * dim);
  const gradB = new Float64Array(k);
  const p = new Float64Array(k);
  const momentum = 0.9;
  const n = samples.length;
  for (let iteration = 0; iteration < options.iterations; iteration++) {
    for (let j = 0; j < k * dim; j++) lookW[j] = (weights[j] as number) + momentum * (velocityW[j] as number);
    for (let j = 0; j < k; j++) lookB[j] = (bias[j] as number) + momentum * (velocityB[j] as number);
    gradW.fill(0);
    gradB.fill(0);
    for (const sample of samples) {
      logits({ weights: lookW, bias: lookB, classes, inputScale: options.inputScale }, sample.vector, p);
      softmaxInPlace(p);
      p[index.get(sample.label) as number] = (p[index.get(sample.label) as number] as number) - 1;
      for (let c = 0; c < k; c++) {
        const g = p[c] as number;
        gradB[c] = (gradB[c] as number) + g;
        const base = c * dim;
        const gs = g * options.inputScale;
        for (let i = 0; i < dim; i++) gradW[base + i] = (gradW[base + i] as number) + gs * (sample.vector[i] as number);
      }
    }
    for (let j = 0; j < k * dim; j++) {
      const g = (gradW[j] as number) / n + options.l2 * (lookW[j] as number);
      velocityW[j] = momentum * (velocityW[j] as number) - options.learningRate * g;
      weights[j] = (weights[j] as number) + (velocityW[j] as number);
    }
    for (let j = 0; j < k; j++) {
      velocityB[j] = momentum * (velocityB[j] as number) - options.learningRate * ((gradB[j] as number) / n);
      bias[j] = (bias[j] as number) + (velocityB[j] as number);
    }
  }
  return {
    recognizer,
    inputScale: options.inputScale,
    classes,
    weights: Float32Array.from(weights),
    bias: Float32Array.from(bias),
    l2: options.l2,
    trainedAt: now.toISOString(),
    samples: n,
  };
}

/** The most probable identity, or "Unknown" when its probability is under the threshold. */
export class ClassifierMatcher implements FaceMatcher {
  constructor(
    readonly model: LogisticRegression,
    readonly threshold: number,
  ) {}

  match(embedding: Float32Array): MatchResult {
    const p = predictProbabilities(this.model, embedding);
    let best = 0;
    for (let c = 1; c < p.length; c++) if ((p[c] as number) > (p[best] as number)) best = c;
    const confidence = p[best] as number;
    return { identity: confidence >= this.threshold ? (this.model.classes[best] as string) : UNKNOWN, confidence };
  }
}

const classifierFileSchema = z.object({
  format: z.literal("facefleet-classifier"),
  schemaVersion: z.literal(1),
  kind: z.literal("logistic-regression"),
  recognizer: z.object({ family: z.string(), modelId: z.string(), embeddingSize: z.number().int().positive() }),
  inputScale: z.number().positive(),
  classes: z.array(z.string().min(1)).min(2),
  weights: z.string(),
  bias: z.array(z.number()),
  l2: z.number().nonnegative(),
  trainedAt: z.string(),
  samples: z.number().int().positive(),
});

export function serializeClassifier(model: LogisticRegression): string {
  return `${JSON.stringify(
    {
      format: "facefleet-classifier",
      schemaVersion: 1,
      kind: "logistic-regression",
      recognizer: model.recognizer,
      inputScale: model.inputScale,
      classes: model.classes,
      weights: encodeVector(model.weights),
      bias: Array.from(model.bias),
      l2: model.l2,
      trainedAt: model.trainedAt,
      samples: model.samples,
    },
    null,
    1,
  )}\n`;
}

export async function writeClassifier(path: string, model: LogisticRegression): Promise<void> {
  await writeFileAtomic(path, serializeClassifier(model));
}

export async function readClassifier(path: string): Promise<LogisticRegression> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FacefleetError(`cannot read classifier ${path}: ${code ?? "not valid JSON"}`);
  }
  const parsed = classifierFileSchema.safeParse(json);
  if (!parsed.success) throw new FacefleetError(`${path} is not a facefleet classifier: ${formatZodIssue(parsed.error)}`);
  const { data } = parsed;
  if (data.bias.length !== data.classes.length)
    throw new FacefleetError(`${path}: bias has ${data.bias.length} values for ${data.classes.length} classes`);
  return {
    recognizer: data.recognizer,
    inputScale: data.inputScale,
    classes: data.classes,
    weights: decodeVector(data.weights, data.classes.length * data.recognizer.embeddingSize),
    bias: Float32Array.from(data.bias),
    l2: data.l2,
    trainedAt: data.trainedAt,
    samples: data.samples,
  };
}
