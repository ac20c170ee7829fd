import { readFile } from "node:fs/promises";
import { z } from "zod";
import { writeFileAtomic } from "../core/atomic-write.js";
import { FacefleetError } from "../core/errors.js";
import { formatZodIssue } from "../core/format-issue.js";
import { decodeVector, encodeVector } from "./embedding-codec.js";

/** Who the embeddings belong to, and which recognizer made them (embeddings of different families don't compare). */
export type RecognizerStamp = { family: string; modelId: string; embeddingSize: number };

export type GalleryEntry = { vector: Float32Array; source: string };
/**
 * `rejects`: faces an operator said are NOT this person (a correction from an event); matching never
 * names this identity for a probe nearer to one of them than to the identity's own embeddings (match.ts).
 */
export type Identity = { name: string; embeddings: GalleryEntry[]; rejects?: GalleryEntry[] };

/** The enrolled people. `version` grows by one on every saved change, so agents can tell which one they use. */
export type Gallery = { recognizer: RecognizerStamp; version: number; updatedAt: string; identities: Identity[] };

const identityName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\n\r]+$/, "must be one line");

const galleryFileSchema = z.object({
  format: z.literal("facefleet-gallery"),
  schemaVersion: z.literal(1),
  recognizer: z.object({ family: z.string(), modelId: z.string(), embeddingSize: z.number().int().positive() }),
  version: z.number().int().nonnegative(),
  updatedAt: z.string(),
  identities: z.array(
    z.object({
      name: identityName,
      embeddings: z.array(z.object({ vector: z.string(), source: z.string() })),
      rejects: z.array(z.object({ vector: z.string(), source: z.string() })).optional(),
    }),
  ),
});

export function emptyGallery(recognizer: RecognizerStamp): Gallery {
  return { recognizer, version: 0, updatedAt: new Date().toISOString(), identities: [] };
}

export function parseGallery(json: unknown, origin: string): Gallery {
  const parsed = galleryFileSchema.safeParse(json);
  if (!parsed.success) throw new FacefleetError(`${origin} is not a facefleet gallery: ${formatZodIssue(parsed.error)}`);
  const { recognizer } = parsed.data;
  return {
    recognizer,
    version: parsed.data.version,
    updatedAt: parsed.data.updatedAt,
    identities: parsed.data.identities.map((identity) => {
      const decode = (e: { vector: string; source: string }) => ({
        vector: decodeVector(e.vector, recognizer.embeddingSize),
        source: e.source,
      });
      const out: Identity = { name: identity.name, embeddings: identity.embeddings.map(decode) };
      if (identity.rejects && identity.rejects.length > 0) out.rejects = identity.rejects.map(decode);
      return out;
    }),
  };
}

export function serializeGallery(gallery: Gallery): string {
  return `${JSON.stringify(
    {
      format: "facefleet-gallery",
      schemaVersion: 1,
      recognizer: gallery.recognizer,
      version: gallery.version,
      updatedAt: gallery.updatedAt,
      identities: gallery.identities.map((identity) => ({
        name: identity.name,
        embeddings: identity.embeddings.map((e) => ({ vector: encodeVector(e.vector), source: e.source })),
        ...(identity.rejects && identity.rejects.length > 0
          ? { rejects: identity.rejects.map((e) => ({ vector: encodeVector(e.vector), source: e.source })) }
          : {}),
      })),
    },
    null,
    1,
  )}\n`;
}

export async function readGallery(path: string): Promise<Gallery> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new FacefleetError(`cannot read gallery ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FacefleetError(`gallery ${path} is not valid JSON`);
  }
  return parseGallery(json, `gallery ${path}`);
}

export async function writeGallery(path: string, gallery: Gallery): Promise<void> {
  await writeFileAtomic(path, serializeGallery(gallery));
}

/** Refuses to compare embeddings from a different recognizer family than the gallery's. */
export function assertSameRecognizer(gallery: Pick<Gallery, "recognizer">, current: RecognizerStamp, origin: string): void {
  if (gallery.recognizer.family !== current.family || gallery.recognizer.embeddingSize !== current.embeddingSize) {
    throw new FacefleetError(
      `${origin} was made with recognizer ${gallery.recognizer.modelId} (${gallery.recognizer.family}), but ${current.modelId} (${current.family}) is loaded: re-enroll with this model`,
    );
  }
}

/** Replaces each named identity's embeddings with the new ones (re-enrolling a person starts them afresh). */
export function upsertIdentities(gallery: Gallery, updates: readonly Identity[], now = new Date()): Gallery {
  const byName = new Map(gallery.identities.map((identity) => [identity.name, identity]));
  for (const update of updates) byName.set(update.name, update);
  const identities = [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
  return { ...gallery, identities, version: gallery.version + 1, updatedAt: now.toISOString() };
}
