import { z } from "zod";
import { faceAttributesSchema } from "./face-attributes.js";

export const EVENT_SCHEMA_VERSION = 1;

/** facefleet.events: once per visit (agent/worker/tracker.ts), not once per frame (key = camera id). */
export const recognitionEventSchema = z.object({
  schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
  type: z.enum(["person_seen", "person_left", "unknown_person", "watchlist_hit"]),
  camera: z.string().min(1),
  trackId: z.string().min(1),
  identity: z.string().min(1),
  /** Distance or confidence of the match that named the track (its aggregate embedding, or with frame-vote naming its best vote). */
  distance: z.number().optional(),
  confidence: z.number().optional(),
  firstSeq: z.number().int().nonnegative(),
  lastSeq: z.number().int().nonnegative(),
  time: z.number().int().positive(),
  agent: z.string().min(1),
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
  /**
   * What a correction needs (coordinator/corrections), on person_seen / unknown_person / watchlist_hit
   * only; absent on older events and on person_left. `crop`: base64 JPEG of the aligned face chip the
   * recognizer saw (150x150 for the default recognizer, quality 80, 4-6 KB) of the track's representative face: its
   * heaviest face (agent/worker/face-weight.ts; with frame-vote naming the heaviest vote for the track's name). `embedding`: that face's
   * embedding (unit vector, rounded to 1e-5). `model`: the recognizer that made it (models/manifest.json id).
   */
  crop: z
    .string()
    .min(1)
    .max(256 * 1024)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, "must be base64")
    .optional(),
  embedding: z.array(z.number()).min(1).max(4096).optional(),
  model: z.string().min(1).optional(),
  /**
   * The track's attributes (protocol/face-attributes.ts: e.g. `{"emotion": {"value": "happy", "confidence": 0.93}}`),
   * estimated once per track on a face of its first frames, when its camera has attributes on (agent
   * worker.attributes); absent otherwise.
   */
  attributes: faceAttributesSchema.optional(),
});

export type RecognitionEvent = z.infer<typeof recognitionEventSchema>;
