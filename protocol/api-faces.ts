import { z } from "zod";
import { addPhotoBodySchema, personNameSchema } from "./api-people.js";
import { recognitionEventSchema } from "./event.js";

/**
 * Faces over time (coordinator/faces/, coordinator/api/routes-faces.ts): the faces of past events kept within a
 * retention, found again from a photo ("find a face"), and the unknown ones clustered to be named or dismissed in
 * bulk. Shared with the dashboard.
 */

/** A kept face: the event it came with (without embedding and crop bytes), its crop at `cropUrl`. */
export const storedFaceSchema = z.object({
  /** The event's id (protocol/event-id.ts). */
  id: z.string(),
  type: recognitionEventSchema.shape.type,
  camera: z.string(),
  time: z.number(),
  agent: z.string(),
  trackId: z.string(),
  /** The name the event gave (or "Unknown"). */
  identity: z.string(),
  /** The recognizer that made the embedding. */
  model: z.string(),
  /** GET path of the face crop (JPEG); null when the event carried none. */
  cropUrl: z.string().nullable(),
  /** The person an operator named the face's cluster after; null before. */
  namedAs: z.string().nullable(),
});
export type StoredFace = z.infer<typeof storedFaceSchema>;

/** POST /api/faces/search: a photo (base64 JPEG, PNG or WebP, as an enrollment photo). */
export const faceSearchBodySchema = addPhotoBodySchema;

export const faceSearchQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(1000).optional().describe("At most this many matches (default 100)."),
  maxDistance: z.coerce
    .number()
    .min(0)
    .max(2)
    .optional()
    .describe("Cosine distance at or under which a stored face matches (default: the recognizer's search threshold)."),
});
export type FaceSearchQuery = z.output<typeof faceSearchQuerySchema>;

export const faceMatchSchema = storedFaceSchema.extend({ distance: z.number() });
export type FaceMatch = z.infer<typeof faceMatchSchema>;

/** Every kept face within `maxDistance` of the photo's subject, nearest first. */
export const faceSearchResultSchema = z.object({
  matches: z.array(faceMatchSchema),
  /** Kept faces compared (those of the recognizer family the photo was embedded with). */
  searched: z.number().int().nonnegative(),
  maxDistance: z.number(),
  model: z.string(),
  /** The photo's face that was searched for: [x, y, width, height] in the photo's pixels. */
  box: z.tuple([z.number(), z.number(), z.number(), z.number()]),
  /** Other, smaller faces of the photo left out (recognition/dominant-face.ts). */
  backgroundFaces: z.number().int().nonnegative(),
});
export type FaceSearchResult = z.infer<typeof faceSearchResultSchema>;

/** A cluster of unknown faces: an id that changes with its members, the best faces first. */
export const faceClusterSchema = z.object({
  id: z.string(),
  size: z.number().int().positive(),
  /** The most central faces (at most 8), best first. */
  faces: z.array(storedFaceSchema),
  cameras: z.array(z.object({ camera: z.string(), faces: z.number().int().positive() })),
  firstSeen: z.number(),
  lastSeen: z.number(),
});
export type FaceCluster = z.infer<typeof faceClusterSchema>;

/** GET /api/faces/clusters */
export const faceClusterListSchema = z.object({
  clusters: z.array(faceClusterSchema),
  /** Unknown faces clustered (not named, not dismissed, within the retention). */
  faces: z.number().int().nonnegative(),
  maxDistance: z.number(),
  retentionHours: z.number().positive(),
});
export type FaceClusterList = z.infer<typeof faceClusterListSchema>;

export const clusterIdParamSchema = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, "must be a cluster id (16 hex digits)") });
export const faceIdParamSchema = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, "must be a face id (16 hex digits)") });

/** POST /api/faces/clusters/:id/name: the cluster is this person; `exclude` lists faces of it that are not. */
export const nameClusterBodySchema = z.strictObject({
  name: personNameSchema.refine((name) => name !== "Unknown", "must be a person's name, not Unknown"),
  exclude: z
    .array(z.string().regex(/^[0-9a-f]{16}$/, "must be face ids"))
    .max(1000)
    .optional(),
});
export type NameClusterBody = z.infer<typeof nameClusterBodySchema>;

export const nameClusterResultSchema = z.object({
  name: z.string(),
  /** Faces named (the cluster less the excluded ones). */
  named: z.number().int().nonnegative(),
  /** Of those, the best ones enrolled as the person's embeddings on facefleet.gallery. */
  enrolled: z.number().int().nonnegative(),
  /** The person's embeddings after the change. */
  embeddings: z.number().int().nonnegative(),
  galleryVersion: z.number().int().nonnegative(),
});
export type NameClusterResult = z.infer<typeof nameClusterResultSchema>;

/** POST /api/faces/clusters/:id/dismiss: its faces leave the clusters (they stay searchable until the retention). */
export const dismissClusterResultSchema = z.object({ dismissed: z.number().int().nonnegative() });
export type DismissClusterResult = z.infer<typeof dismissClusterResultSchema>;
