/** Cameras of the live view: which have annotated frames, and each one's newest JPEG. */
import { z } from "zod";
import { cameraListSchema, cameraParamSchema } from "../../protocol/api-media.js";
import type { CameraMedia } from "../media/camera-media.js";
import { notFound } from "./errors.js";
import { type ApiRoute, defineRoute } from "./route.js";

export function cameraRoutes(media: CameraMedia): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/cameras",
      operationId: "listCameras",
      summary: "Cameras with an annotated frame since the coordinator started, with the capture time of the newest.",
      tag: "cameras",
      response: cameraListSchema,
      handle: () => ({ cameras: media.cameras() }),
    }),
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/cameras/:camera/latest.jpg",
      operationId: "latestCameraFrame",
      summary:
        "The camera's newest annotated frame (JPEG, boxes and names drawn by the agent); the `frame` stream message says when there is a new one.",
      tag: "cameras",
      params: cameraParamSchema,
      response: z.instanceof(Buffer),
      produces: "image/jpeg",
      refusals: [404],
      handle: ({ params, reply }) => {
        const frame = media.latest(params.camera);
        if (!frame) throw notFound(`no annotated frame of camera "${params.camera}" yet`);
        return reply.type("image/jpeg").header("cache-control", "no-store").header("x-capture-time", String(frame.time)).send(frame.jpeg);
      },
    }),
  ];
}
