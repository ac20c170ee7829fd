/**
 * Routes that change who is recognised say what they did (`audit` on the route, route.ts); this wraps their handler
 * so that, once it has answered without an error, the entry is appended to the audit log with the request's actor
 * (request-actor.ts). A failed append does not undo the change or fail the request: it is logged.
 */
import type { AuditRecord } from "../../protocol/api-audit.js";
import type { AuditLog } from "../audit/audit-log.js";
import { requestActor } from "./request-actor.js";
import type { ApiRoute } from "./route.js";

export function auditedRoutes(routes: readonly ApiRoute[], audit: AuditLog, log: (line: string) => void): ApiRoute[] {
  return routes.map((route) => {
    const describe = route.audit;
    if (!describe) return route;
    return {
      ...route,
      handle: async (context) => {
        const result = await route.handle(context);
        let records: AuditRecord[] = [];
        try {
          const described = describe(context, result);
          records = described === undefined ? [] : Array.isArray(described) ? described : [described];
        } catch (error) {
          log(`audit: ${route.operationId}: cannot describe the change: ${(error as Error).message}`);
        }
        const actor = requestActor(context.request);
        for (const record of records)
          await audit
            .append(actor, record)
            .catch((error: Error) => log(`audit: cannot append ${record.action} ${record.subject}: ${error.message}`));
        return result;
      },
    };
  });
}
