/** Faces over time: find a face in past events from a photo; the clusters of unknown faces, named or dismissed in bulk. */
import { z } from "zod";
import {
  clusterIdParamSchema,
  type DismissClusterResult,
  dismissClusterResultSchema,
  faceClusterListSchema,
  faceIdParamSchema,
  faceSearchBodySchema,
  faceSearchQuerySchema,
  faceSearchResultSchema,
  type NameClusterResult,
  nameClusterBodySchema,
  nameClusterResultSchema,
} from "../../protocol/api-faces.js";
import type { FacesControl } from "../faces/faces-service.js";
import { ModelsUnavailableError, PhotoRejectedError } from "../people/people-control.js";
import { HttpError } from "./errors.js";
import { type ApiRoute, defineRoute } from "./route.js";
import { PHOTO_BODY_LIMIT_BYTES } from "./routes-people.js";

const DATA_URL_PREFIX = /^data:image\/[a-z0-9.+-]+;base64,/;

export function faceRoutes(faces: FacesControl): ApiRoute[] {
  return [
    defineRoute({
      method: "POST",
      access: "viewer",
      url: "/api/faces/search",
      operationId: "searchFaces",
      summary:
        "Find a face: a photo (base64 JPEG, PNG or WebP, as an enrollment photo) is embedded with the events' recognizer and every kept face of past events within maxDistance of its subject is returned, nearest first, with camera, time and cropUrl. 422 no-face, several-faces, face-too-small or bad-image.",
      tag: "faces",
      query: faceSearchQuerySchema,
      body: faceSearchBodySchema,
      response: faceSearchResultSchema,
      bodyLimit: PHOTO_BODY_LIMIT_BYTES,
      refusals: [422, 503],
      handle: async ({ body, query }) => {
        const image = Buffer.from(body.image.replace(DATA_URL_PREFIX, ""), "base64");
        try {
          return await faces.search(image, query);
        } catch (error) {
          if (error instanceof PhotoRejectedError) throw new HttpError(422, error.reason, error.message);
          if (error instanceof ModelsUnavailableError) throw new HttpError(503, "unavailable", error.message);
          throw error;
        }
      },
    }),
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/faces/:id/crop.jpg",
      operationId: "getFaceCrop",
      summary: "The crop of a kept face (until the retention deletes it).",
      tag: "faces",
      params: faceIdParamSchema,
      response: z.string().describe("JPEG bytes"),
      produces: "image/jpeg",
      refusals: [404],
      handle: async ({ params, reply }) => reply.type("image/jpeg").send(await faces.crop(params.id)),
    }),
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/faces/clusters",
      operationId: "listFaceClusters",
      summary:
        "The kept unknown faces (not named or dismissed) clustered by embedding (Chinese whispers, no number of clusters), largest first, each with its best faces, cameras and times.",
      tag: "faces",
      response: faceClusterListSchema,
      handle: () => faces.clusters(),
    }),
    defineRoute({
      method: "POST",
      access: "operator",
      url: "/api/faces/clusters/:id/name",
      operationId: "nameFaceCluster",
      summary:
        '{"name": "Ann", "exclude": [face ids]}: the cluster is Ann; its best faces are enrolled to Ann on facefleet.gallery (created if absent) and its faces leave the clusters. 409 when the cluster changed since it was listed.',
      tag: "faces",
      params: clusterIdParamSchema,
      body: nameClusterBodySchema,
      response: nameClusterResultSchema,
      refusals: [409],
      handle: ({ params, body }) => faces.name(params.id, body),
      audit: ({ params }, result) => {
        const named = result as NameClusterResult;
        return {
          action: "cluster.name",
          subject: params.id,
          details: { name: named.name, faces: named.named, enrolled: named.enrolled, galleryVersion: named.galleryVersion },
        };
      },
    }),
    defineRoute({
      method: "POST",
      access: "operator",
      url: "/api/faces/clusters/:id/dismiss",
      operationId: "dismissFaceCluster",
      summary:
        "The cluster's faces leave the clusters (still searchable until the retention). 409 when the cluster changed since it was listed.",
      tag: "faces",
      params: clusterIdParamSchema,
      response: dismissClusterResultSchema,
      refusals: [409],
      handle: ({ params }) => faces.dismiss(params.id),
      audit: ({ params }, result) => ({
        action: "cluster.dismiss",
        subject: params.id,
        details: { faces: (result as DismissClusterResult).dismissed },
      }),
    }),
  ];
}
