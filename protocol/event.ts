import { z } from "zod";

export const EVENT_SCHEMA_VERSION = 1;

/** facefleet.events: once per track, not once per frame (key = camera id). */
export const recognitionEventSchema = z.object({
  schemaVersion: z.literal(EVENT_SCHEMA_VERSION),
  type: z.enum(["person_seen", "person_left", "unknown_person", "watchlist_hit"]),
  camera: z.string().min(1),
  trackId: z.string().min(1),
  identity: z.string().min(1),
  /** Distance or confidence of the vote that named the track. */
  distance: z.number().optional(),
  confidence: z.number().optional(),
  firstSeq: z.number().int().nonnegative(),
  lastSeq: z.number().int().nonnegative(),
  time: z.number().int().positive(),
  agent: z.string().min(1),
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]).optional(),
});

export type RecognitionEvent = z.infer<typeof recognitionEventSchema>;
