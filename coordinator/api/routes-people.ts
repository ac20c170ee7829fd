/** People of the gallery: list, create, add a photo, delete (enrollment from the dashboard). */
import {
  type AddPhotoResult,
  addPhotoBodySchema,
  addPhotoResultSchema,
  createPersonBodySchema,
  type PersonChange,
  peopleListSchema,
  personChangeSchema,
  personParamSchema,
} from "../../protocol/api-people.js";
import { ModelsUnavailableError, type PeopleControl, PhotoRejectedError } from "../people/people-control.js";
import { HttpError } from "./errors.js";
import { type ApiRoute, defineRoute } from "./route.js";

/** A photo as base64 JSON: 9 MiB of picture, with room for the JSON around it. */
export const PHOTO_BODY_LIMIT_BYTES = 12 * 1024 * 1024;

const DATA_URL_PREFIX = /^data:image\/[a-z0-9.+-]+;base64,/;

export function peopleRoutes(people: PeopleControl): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/people",
      operationId: "listPeople",
      summary: "The enrolled people (facefleet.gallery as the coordinator has read it) and people created without photos yet.",
      tag: "people",
      response: peopleListSchema,
      handle: () => people.list(),
    }),
    defineRoute({
      method: "POST",
      access: "operator",
      url: "/api/people",
      operationId: "createPerson",
      summary: "Creates a person without photos; the first accepted photo publishes them to the agents.",
      tag: "people",
      body: createPersonBodySchema,
      response: personChangeSchema,
      refusals: [409],
      handle: ({ body }) => people.create(body.name),
      audit: ({ body }) => ({ action: "person.create", subject: body.name }),
    }),
    defineRoute({
      method: "POST",
      access: "operator",
      url: "/api/people/:name/photos",
      operationId: "addPersonPhoto",
      summary:
        "Adds a photo (base64 JPEG, PNG or WebP) of the person: its one face, or the largest when it clearly is the subject (the others are counted in backgroundFaces), joins the person's embeddings and the record is published to facefleet.gallery. 422 with error no-face, several-faces (none clearly the subject), face-too-small, face-blurred, face-turned or bad-image otherwise.",
      tag: "people",
      params: personParamSchema,
      body: addPhotoBodySchema,
      response: addPhotoResultSchema,
      bodyLimit: PHOTO_BODY_LIMIT_BYTES,
      refusals: [404, 409, 422, 503],
      handle: async ({ params, body }) => {
        const image = Buffer.from(body.image.replace(DATA_URL_PREFIX, ""), "base64");
        try {
          return await people.addPhoto(params.name, image);
        } catch (error) {
          if (error instanceof PhotoRejectedError) throw new HttpError(422, error.reason, error.message);
          if (error instanceof ModelsUnavailableError) throw new HttpError(503, "unavailable", error.message);
          throw error;
        }
      },
      audit: ({ params }, result) => {
        const { person, backgroundFaces, version } = result as AddPhotoResult;
        return {
          action: "person.enroll",
          subject: params.name,
          details: { source: "photo", photos: person.photos, backgroundFaces, galleryVersion: version },
        };
      },
    }),
    defineRoute({
      method: "DELETE",
      access: "operator",
      url: "/api/people/:name",
      operationId: "deletePerson",
      summary: "Deletes a person: a tombstone on facefleet.gallery, so every agent forgets them.",
      tag: "people",
      params: personParamSchema,
      response: personChangeSchema,
      refusals: [404],
      handle: ({ params }) => people.remove(params.name),
      audit: ({ params }, result) => ({
        action: "person.delete",
        subject: params.name,
        details: { photos: (result as PersonChange).person.photos, galleryVersion: (result as PersonChange).version },
      }),
    }),
  ];
}
