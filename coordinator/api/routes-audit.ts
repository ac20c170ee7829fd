/** The audit log (coordinator/audit/audit-log.ts): enrollments, corrections, cluster namings and deletions, who and when. */
import { auditListSchema, auditQuerySchema } from "../../protocol/api-audit.js";
import type { AuditLog } from "../audit/audit-log.js";
import { type ApiRoute, defineRoute } from "./route.js";

export function auditRoutes(audit: AuditLog): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/audit",
      operationId: "listAudit",
      summary:
        "The audit log, newest first (at most `limit`, default 500; filtered by `action` and `subject`): who (api-token, or a dashboard session) enrolled, corrected, named, dismissed or deleted what, and when.",
      tag: "audit",
      query: auditQuerySchema,
      response: auditListSchema,
      handle: ({ query }) => audit.list(query),
    }),
  ];
}
