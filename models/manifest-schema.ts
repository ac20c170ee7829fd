import { z } from "zod";

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, "must be 64 lowercase hex digits");
const point = z.tuple([z.number(), z.number()]);

/** How a model file is obtained: downloaded from its upstream URL, or built by a script of the project. */
const source = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("download"), url: z.url() }),
  z.object({ kind: z.literal("build"), command: z.string(), from: z.string() }),
]);

const tensorInput = z.object({
  name: z.string(),
  shape: z.array(z.union([z.number().int(), z.string()])),
  layout: z.literal("NCHW"),
  /** GRAY: one plane of luma (0.299 R + 0.587 G + 0.114 B, rounded), an attribute model's input. */
  channels: z.enum(["RGB", "BGR", "GRAY"]),
  normalisation: z.string(),
});

/**
 * The model families facefleet has an implementation for, by role: recognition/detectors/ and recognition/recognizers/
 * (chosen by family in recognition/face-detector.ts and face-recognizer.ts). A manifest entry of any other family
 * fails validation, naming the field.
 */
export const detectorFamilies = ["yunet"] as const;
export const recognizerFamilies = ["sface-2021dec", "face-api-resnet-v1", "mobilefacenet-sirius-ai"] as const;
/** Per-face attribute models (recognition/attributes/, chosen by family in recognition/attributes/attribute-models.ts). */
export const attributeFamilies = ["fer-mini-xception", "dlib-age-v1", "dlib-gender-v1"] as const;
/** What an attribute model estimates: the name its value has in detections and events. */
export const attributeNames = ["emotion", "age", "gender"] as const;
export type AttributeFamily = (typeof attributeFamilies)[number];
export type AttributeName = (typeof attributeNames)[number];
export type DetectorFamily = (typeof detectorFamilies)[number];
export type RecognizerFamily = (typeof recognizerFamilies)[number];

const common = {
  file: z.string().regex(/^[\w.-]+\.onnx$/, "must be a plain .onnx file name"),
  sha256,
  bytes: z.number().int().positive(),
  precision: z.enum(["fp32", "fp16", "int8"]),
  input: tensorInput,
  outputs: z.string(),
  licence: z.string(),
  upstream: z.string(),
  source,
  accuracy: z.record(z.string(), z.union([z.number(), z.string()])).optional(),
  notes: z.string().optional(),
};

export const detectorModelSchema = z.object({
  ...common,
  role: z.literal("detector"),
  family: z.enum(detectorFamilies),
  fixedInputSize: z.tuple([z.number().int(), z.number().int()]).nullable(),
});

/**
 * How often two pictures of different people come out within a cosine distance (the false-match rate per
 * comparison), measured on impostor pairs; recognition/gallery-threshold.ts turns it into a threshold for a
 * gallery's size. Written by `npm run bench:calibrate` (bench/calibration/run.ts), never by hand.
 */
export const falseMatchCalibrationSchema = z.object({
  /** Ascending distance as the rate falls: each point is the distance at or under which that share of impostor pairs lies. */
  points: z
    .array(z.object({ falseMatchRate: z.number().gt(0).lt(1), cosineDistance: z.number().min(0).max(2) }))
    .min(2)
    .refine(
      (points) =>
        points.every(
          (p, i) =>
            i === 0 ||
            (p.falseMatchRate < (points[i - 1]?.falseMatchRate ?? 1) && p.cosineDistance <= (points[i - 1]?.cosineDistance ?? 2)),
        ),
      "must be ordered by falling falseMatchRate with non-increasing cosineDistance",
    ),
  impostorPairs: z.number().int().positive(),
  pictures: z.number().int().positive(),
  identities: z.number().int().positive(),
  detector: z.string(),
  data: z.string(),
  command: z.string(),
  generatedAt: z.string(),
});

export const recognizerModelSchema = z.object({
  ...common,
  role: z.literal("recognizer"),
  family: z.enum(recognizerFamilies),
  embeddingSize: z.number().int().positive(),
  /** Where the 5 detector landmarks (right eye, left eye, nose tip, right and left mouth corner) go in the crop. */
  alignment: z.object({ size: z.number().int().positive(), template: z.array(point).length(5) }),
  /** Thresholds calibrated on the shared data (bench/accuracy), used when neither config nor CLI sets one. */
  thresholds: z.object({ cosineDistance: z.number().min(0).max(2), classifierConfidence: z.number().min(0).max(1) }),
  /** When present, the default distance threshold follows the gallery's size (recognition/gallery-threshold.ts). */
  falseMatchCalibration: falseMatchCalibrationSchema.optional(),
});

/**
 * What an attribute model is given: the face aligned on a template (its five landmarks, as the recognizer's chip),
 * or a square box crop (the box's longer side plus `margin` of it on every side, centred on the box).
 */
const attributeCrop = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("aligned"), size: z.number().int().positive(), template: z.array(point).length(5) }),
  z.object({ kind: z.literal("box"), size: z.number().int().positive(), margin: z.number().min(0).max(1) }),
]);

export const attributeModelSchema = z.object({
  ...common,
  role: z.literal("attribute"),
  attribute: z.enum(attributeNames),
  family: z.enum(attributeFamilies),
  crop: attributeCrop,
  /** Per channel (R, G, B or the gray plane): the model's input is (pixel - mean) * scale; mean 0, scale 1: raw pixels. */
  inputScaling: z.object({ mean: z.array(z.number()).min(1).max(3), scale: z.number().positive() }),
  /** The classes of the output, in order (a classifier's value is the most probable one). */
  labels: z.array(z.string().min(1)).min(2),
  /** A regression over classes (age): the value is the sum of probability x classValue. */
  classValues: z.array(z.number()).optional(),
});

export const modelSchema = z.discriminatedUnion("role", [detectorModelSchema, recognizerModelSchema, attributeModelSchema]);

export const manifestSchema = z.object({
  version: z.literal(1),
  models: z.record(z.string().regex(/^[a-z0-9][a-z0-9.-]*$/), modelSchema),
  /** Default model id per role and precision. */
  defaults: z.object({
    detector: z.object({ fp32: z.string(), int8: z.string() }),
    recognizer: z.object({ fp32: z.string(), int8: z.string() }),
    /** The model that estimates each attribute (worker.attributes, identify --attributes). */
    attributes: z.record(z.enum(attributeNames), z.string()),
  }),
});

export type Manifest = z.infer<typeof manifestSchema>;
export type ModelEntry = z.infer<typeof modelSchema>;
export type DetectorModel = z.infer<typeof detectorModelSchema>;
export type RecognizerModel = z.infer<typeof recognizerModelSchema>;
export type AttributeModelEntry = z.infer<typeof attributeModelSchema>;
export type FalseMatchCalibration = z.infer<typeof falseMatchCalibrationSchema>;
