import { z } from "zod";

/**
 * Enrollment through the coordinator (coordinator/people/, coordinator/api/routes-people.ts): the people
 * of the gallery (compacted facefleet.gallery, protocol/gallery-record.ts), adding one, adding a photo of
 * one, deleting one.
 */

/** An identity's name, as on the gallery topic (protocol/gallery-record.ts), without surrounding spaces. */
export const personNameSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\n\r]+$/, "must be one line")
  .regex(/^\S(.*\S)?$/, "must not start or end with a space");

export const personParamSchema = z.object({ name: personNameSchema });

/** POST /api/people */
export const createPersonBodySchema = z.object({ name: personNameSchema }).strict();

/** Base64 of a 9 MiB picture is 12 MiB; the route's body limit stops larger ones first. */
const MAX_IMAGE_BASE64_CHARS = 12 * 1024 * 1024;

/** POST /api/people/:name/photos: a JPEG, PNG or WebP picture as base64 (a `data:image/…;base64,` prefix is allowed). */
export const addPhotoBodySchema = z
  .object({
    image: z
      .string()
      .min(1)
      .max(MAX_IMAGE_BASE64_CHARS)
      .regex(/^(data:image\/[a-z0-9.+-]+;base64,)?[A-Za-z0-9+/_\s-]+={0,2}\s*$/, "must be a base64 JPEG, PNG or WebP picture"),
  })
  .strict();

export const personViewSchema = z.object({
  name: z.string(),
  /** Embeddings enrolled (one per accepted photo). */
  photos: z.number().int().nonnegative(),
  /** The recognizer model that made the embeddings; null for a person without photos yet. */
  recognizer: z.string().nullable(),
  /** When the person's record was last published (epoch ms); null for a person without photos yet. */
  updatedAt: z.number().nullable(),
  /**
   * False for a person created without photos yet: a gallery record needs an embedding, so such a
   * person is held by the coordinator only (until its first photo, or a coordinator restart).
   */
  published: z.boolean(),
});
export type PersonView = z.infer<typeof personViewSchema>;

/** GET /api/people */
export const peopleListSchema = z.object({
  /** The gallery version the coordinator has read (the agents report the same number once they hold it). */
  version: z.number().int().nonnegative(),
  people: z.array(personViewSchema),
});
export type PeopleList = z.infer<typeof peopleListSchema>;

/** POST /api/people and DELETE /api/people/:name */
export const personChangeSchema = z.object({
  person: personViewSchema,
  /** The gallery version after the change (unchanged for a person without photos). */
  version: z.number().int().nonnegative(),
});
export type PersonChange = z.infer<typeof personChangeSchema>;

/** POST /api/people/:name/photos: the photo's subject (its one face, or the clearly dominant one) is now enrolled. */
export const addPhotoResultSchema = z.object({
  person: personViewSchema,
  /** Faces enrolled from the photo: always 1. */
  faces: z.literal(1),
  /** Other, smaller faces in the photo that were left out (recognition/dominant-face.ts). */
  backgroundFaces: z.number().int().nonnegative(),
  version: z.number().int().nonnegative(),
});
export type AddPhotoResult = z.infer<typeof addPhotoResultSchema>;

/**
 * Why a photo was refused (422 `{ error, message }`): several-faces is several faces and none clearly the
 * subject; face-too-small, face-blurred and face-turned are about the subject's face (recognition/face-quality.ts).
 */
export const photoRejectionSchema = z.enum(["no-face", "several-faces", "face-too-small", "face-blurred", "face-turned", "bad-image"]);
export type PhotoRejection = z.infer<typeof photoRejectionSchema>;

/**
 * POST /api/people/:name/forget: what "forget this person" deleted everywhere the coordinator keeps faces
 * (coordinator/privacy/forget-person.ts).
 */
export const forgetResultSchema = z.object({
  name: z.string(),
  /** A tombstone was written to facefleet.gallery (the person was enrolled). */
  tombstoned: z.boolean(),
  /** Embeddings the person had on the gallery. */
  embeddings: z.number().int().nonnegative(),
  /** Faces of the person taken out of other people's records (corrections' rejects: "not Dave, it is Ann"). */
  rejects: z.number().int().nonnegative(),
  /** Kept faces of past events deleted (coordinator/faces/): named the person, or enrolled to them. */
  faces: z.number().int().nonnegative(),
  /** Recent events deleted (corrections): named the person, or corrected to them. */
  events: z.number().int().nonnegative(),
  /** Unknown-person alerts deleted: faces later named the person. */
  alerts: z.number().int().nonnegative(),
  galleryVersion: z.number().int().nonnegative(),
});
export type ForgetResult = z.infer<typeof forgetResultSchema>;
