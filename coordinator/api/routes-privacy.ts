/** "Forget this person" (coordinator/privacy/forget-person.ts). */

import type { ForgetResult } from "../../protocol/api-people.js";
import { forgetResultSchema, personParamSchema } from "../../protocol/api-people.js";
import type { PersonForgetter } from "../privacy/forget-person.js";
import { type ApiRoute, defineRoute } from "./route.js";

export function privacyRoutes(forgetter: PersonForgetter): ApiRoute[] {
  return [
    defineRoute({
      method: "POST",
      access: "operator",
      url: "/api/people/:name/forget",
      operationId: "forgetPerson",
      summary:
        "Forgets a person everywhere the coordinator keeps faces: a tombstone on facefleet.gallery (and their faces taken out of other people's rejects), the kept faces of past events named them or enrolled to them (crops and embeddings, files deleted), the recent events that named them or were corrected to them, and the unknown-person alerts later named them. 404 when nothing of that name is kept.",
      tag: "people",
      params: personParamSchema,
      response: forgetResultSchema,
      refusals: [404],
      handle: ({ params }) => forgetter.forget(params.name),
      audit: ({ params }, result) => {
        const r = result as ForgetResult;
        return {
          action: "person.forget",
          subject: params.name,
          details: {
            tombstoned: r.tombstoned,
            embeddings: r.embeddings,
            rejects: r.rejects,
            faces: r.faces,
            events: r.events,
            alerts: r.alerts,
            galleryVersion: r.galleryVersion,
          },
        };
      },
    }),
  ];
}
