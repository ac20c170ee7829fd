import { z } from "zod";
import { formatZodIssue } from "../core/format-issue.js";

export const FRAME_SCHEMA_VERSION = 1;

/** Headers of a record on facefleet.frames (the value is the JPEG; the key is the camera id). */
export const frameHeadersSchema = z.object({
  "schema-version": z.coerce.number().int().pipe(z.literal(FRAME_SCHEMA_VERSION)),
  camera: z.string().min(1).max(128),
  seq: z.coerce.number().int().nonnegative(),
  "capture-time": z.coerce.number().int().positive(),
  width: z.coerce.number().int().positive(),
  height: z.coerce.number().int().positive(),
  format: z.enum(["jpeg"]),
  producer: z.string().min(1).max(128),
});

export type FrameHeaders = z.infer<typeof frameHeadersSchema>;

/**
 * Kafka headers arrive as Buffers (or arrays of them, when a name is repeated): decode to strings, then
 * validate. A frame header given more than once is refused: which of two values is meant cannot be known.
 */
export function parseFrameHeaders(raw: Record<string, Buffer | string | (Buffer | string)[] | undefined>): FrameHeaders {
  const text: Record<string, string> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (Array.isArray(value) && value.length > 1 && key in frameHeadersSchema.shape)
      throw new Error(`invalid frame header ${key}: given ${value.length} times`);
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) text[key] = first.toString();
  }
  const parsed = frameHeadersSchema.safeParse(text);
  if (!parsed.success) throw new Error(`invalid frame header ${formatZodIssue(parsed.error)}`);
  return parsed.data;
}

export function encodeFrameHeaders(headers: Omit<FrameHeaders, "schema-version">): Record<string, string> {
  const out: Record<string, string> = { "schema-version": String(FRAME_SCHEMA_VERSION) };
  for (const [key, value] of Object.entries(headers)) out[key] = String(value);
  return out;
}
