/** Recent events and their corrections ("not Dave, it is Bob"); unknown-person alerts per camera. */
import { z } from "zod";
import {
  alertCameraParamSchema,
  alertIdParamSchema,
  type CorrectionResult,
  correctionBodySchema,
  correctionResultSchema,
  eventIdParamSchema,
  eventListSchema,
  eventQuerySchema,
  unknownAlertSettingBodySchema,
  unknownAlertSettingSchema,
  unknownAlertsViewSchema,
} from "../../protocol/api-events.js";
import type { CorrectionControl } from "../corrections/corrections.js";
import { type ApiRoute, defineRoute } from "./route.js";

const jpeg = z.string().describe("JPEG bytes");

export function eventRoutes(control: CorrectionControl): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/events",
      operationId: "listEvents",
      summary: "Recent recognition events (newest first; person_left not kept), each with cropUrl and whether it can be corrected.",
      tag: "events",
      query: eventQuerySchema,
      response: eventListSchema,
      handle: ({ query }) => ({ events: control.events(query) }),
    }),
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/events/:id/crop.jpg",
      operationId: "getEventCrop",
      summary: "The face crop of an event (the aligned chip the recognizer saw).",
      tag: "events",
      params: eventIdParamSchema,
      response: jpeg,
      produces: "image/jpeg",
      refusals: [404],
      handle: ({ params, reply }) => reply.type("image/jpeg").send(control.eventCrop(params.id)),
    }),
    defineRoute({
      method: "POST",
      access: "operator",
      url: "/api/events/:id/correction",
      operationId: "correctEvent",
      summary:
        '{"identity": "Bob"}: the face is Bob (added to Bob, created if absent; a reject of the name the event gave). {"notIdentity": "Dave"}: a reject of Dave. Published to facefleet.gallery.',
      tag: "events",
      params: eventIdParamSchema,
      body: correctionBodySchema,
      response: correctionResultSchema,
      refusals: [404, 409],
      handle: ({ params, body }) => control.correct(params.id, body),
      audit: ({ params }, result) => {
        const { event, published, galleryVersion } = result as CorrectionResult;
        return {
          action: "event.correct",
          subject: params.id,
          details: {
            camera: event.camera,
            named: event.identity,
            identity: event.correction?.identity ?? null,
            notIdentity: event.correction?.notIdentity ?? null,
            changed: published.map((p) => p.name).join(", "),
            galleryVersion,
          },
        };
      },
    }),
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/alerts/unknown",
      operationId: "listUnknownAlerts",
      summary: "Unknown-person alerts: the toggle of every camera, the alerts kept (newest first) and their retention.",
      tag: "alerts",
      response: unknownAlertsViewSchema,
      handle: () => control.unknownAlerts(),
    }),
    defineRoute({
      method: "PUT",
      access: "operator",
      url: "/api/alerts/unknown/:camera",
      operationId: "setUnknownAlerts",
      summary: "Turns a camera's unknown-person alerts on or off (kept across restarts).",
      tag: "alerts",
      params: alertCameraParamSchema,
      body: unknownAlertSettingBodySchema,
      response: unknownAlertSettingSchema,
      handle: ({ params, body }) => control.setUnknownAlerts(params.camera, body.enabled),
    }),
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/alerts/unknown/:id/crop.jpg",
      operationId: "getUnknownAlertCrop",
      summary: "The face crop of an unknown-person alert (until it is purged).",
      tag: "alerts",
      params: alertIdParamSchema,
      response: jpeg,
      produces: "image/jpeg",
      refusals: [404],
      handle: async ({ params, reply }) => reply.type("image/jpeg").send(await control.alertCrop(params.id)),
    }),
  ];
}
