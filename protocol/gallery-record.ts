import { z } from "zod";
import { formatZodIssue } from "../core/format-issue.js";
import { decodeVector, encodeVector } from "../recognition/embedding-codec.js";
import type { Identity, RecognizerStamp } from "../recognition/gallery.js";

/**
 * facefleet.gallery (compacted): one record per enrolled identity.
 *
 * - key: the identity's name (UTF-8). Compaction keeps the newest record per name.
 * - value: JSON of one identity (below), embeddings as base64 little-endian float32 exactly as in
 *   the gallery file (recognition/gallery.ts), with the recognizer that made them; or null
 *   (a tombstone): the identity is deleted.
 *
 * Gallery version: the position an agent has read the topic up to, i.e. the sum over the topic's
 * partitions of (offset of the last record read + 1). With the usual single partition that is
 * "highest offset applied + 1". It grows with every push or delete, needs no coordination between
 * writers (Kafka assigns offsets), and two agents that report the same version hold the same
 * identities. A file's own `version` field is not used on the topic.
 */
export const GALLERY_RECORD_SCHEMA_VERSION = 1;

export const galleryRecordSchema = z.object({
  format: z.literal("facefleet-gallery-identity"),
  schemaVersion: z.literal(GALLERY_RECORD_SCHEMA_VERSION),
  name: z
    .string()
    .min(1)
    .max(200)
    .regex(/^[^\n\r]+$/, "must be one line"),
  recognizer: z.object({ family: z.string().min(1), modelId: z.string().min(1), embeddingSize: z.number().int().positive() }),
  embeddings: z.array(z.object({ vector: z.string().min(1), source: z.string() })).min(1),
  /**
   * Optional (older records have none): faces corrected as NOT this person ("this is not Dave"), same
   * encoding as `embeddings`; `source` names where each came from (`event:<id>`). Matching skips this
   * identity for a probe nearer to one of them than to its own embeddings (recognition/match.ts).
   */
  rejects: z
    .array(z.object({ vector: z.string().min(1), source: z.string() }))
    .max(10_000)
    .optional(),
  updatedAt: z.string(),
});

export type GalleryRecord = z.infer<typeof galleryRecordSchema>;

/** A decoded record: an identity to add/replace, or a deletion. */
export type GalleryChange =
  | { kind: "upsert"; name: string; recognizer: RecognizerStamp; identity: Identity; updatedAt: string }
  | { kind: "delete"; name: string };

export function encodeGalleryRecord(identity: Identity, recognizer: RecognizerStamp, now = new Date()): { key: string; value: string } {
  const record: GalleryRecord = {
    format: "facefleet-gallery-identity",
    schemaVersion: GALLERY_RECORD_SCHEMA_VERSION,
    name: identity.name,
    recognizer,
    embeddings: identity.embeddings.map((e) => ({ vector: encodeVector(e.vector), source: e.source })),
    updatedAt: now.toISOString(),
  };
  if (identity.rejects && identity.rejects.length > 0)
    record.rejects = identity.rejects.map((e) => ({ vector: encodeVector(e.vector), source: e.source }));
  galleryRecordSchema.parse(record);
  return { key: identity.name, value: JSON.stringify(record) };
}

/** A tombstone: deletes `name` from every agent's gallery (and, after compaction, from the topic). */
export function galleryTombstone(name: string): { key: string; value: null } {
  return { key: name, value: null };
}

/** Decodes one record of the topic; throws one line naming the problem (the caller skips the record). */
export function decodeGalleryRecord(key: Buffer | string | null, value: Buffer | string | null): GalleryChange {
  if (key === null || key.length === 0) throw new Error("gallery record without a key (the identity name)");
  const name = key.toString();
  if (value === null || value.length === 0) return { kind: "delete", name };
  let json: unknown;
  try {
    json = JSON.parse(value.toString());
  } catch {
    throw new Error(`gallery record '${name}' is not JSON`);
  }
  const parsed = galleryRecordSchema.safeParse(json);
  if (!parsed.success) throw new Error(`gallery record '${name}': ${formatZodIssue(parsed.error)}`);
  const record = parsed.data;
  if (record.name !== name) throw new Error(`gallery record key '${name}' does not match its name '${record.name}'`);
  const size = record.recognizer.embeddingSize;
  const decodeAll = (field: "embeddings" | "rejects", entries: readonly { vector: string; source: string }[]) =>
    entries.map((e, i) => {
      try {
        return { vector: decodeVector(e.vector, size), source: e.source };
      } catch (error) {
        throw new Error(`gallery record '${name}': ${field}.${i}.vector: ${(error as Error).message}`);
      }
    });
  const identity: Identity = { name, embeddings: decodeAll("embeddings", record.embeddings) };
  if (record.rejects && record.rejects.length > 0) identity.rejects = decodeAll("rejects", record.rejects);
  return { kind: "upsert", name, recognizer: record.recognizer, identity, updatedAt: record.updatedAt };
}
