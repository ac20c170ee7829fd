import { z } from "zod";
import { faceAttributesSchema } from "./face-attributes.js";

export const DETECTION_SCHEMA_VERSION = 1;

const box = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const detectedFaceSchema = z.object({
  box,
  score: z.number().min(0).max(1),
  landmarks: z.array(z.tuple([z.number(), z.number()])).length(5),
  identity: z.string().min(1),
  distance: z.number().optional(),
  confidence: z.number().optional(),
  trackId: z.string().nullable(),
  /** The face's track's attributes (protocol/face-attributes.ts), when the camera has attributes on and they were estimated. */
  attributes: faceAttributesSchema.optional(),
});

/** One record on facefleet.detections per frame (key = camera id). */
export const detectionSchema = z.object({
  schemaVersion: z.literal(DETECTION_SCHEMA_VERSION),
  camera: z.string().min(1),
  seq: z.number().int().nonnegative(),
  captureTime: z.number().int().positive(),
  doneTime: z.number().int().positive(),
  agent: z.string().min(1),
  partition: z.number().int().nonnegative(),
  offset: z.string().regex(/^\d+$/),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  faces: z.array(detectedFaceSchema),
  /** Detections the plausibility check refused as no human face (recognition/face-plausibility.ts); absent when none. */
  rejectedFaces: z.number().int().positive().optional(),
  models: z.object({ detector: z.string(), recognizer: z.string() }),
  galleryVersion: z.number().int().nonnegative(),
  timingsMs: z.object({
    queue: z.number().nonnegative(),
    decode: z.number().nonnegative(),
    detect: z.number().nonnegative(),
    align: z.number().nonnegative(),
    embed: z.number().nonnegative(),
    match: z.number().nonnegative(),
    track: z.number().nonnegative(),
    /** Attribute models (emotion, age, gender) on the faces that needed them; absent when the camera has none on. */
    attributes: z.number().nonnegative().optional(),
    total: z.number().nonnegative(),
  }),
});

export type Detection = z.infer<typeof detectionSchema>;
export type DetectionFace = z.infer<typeof detectedFaceSchema>;
