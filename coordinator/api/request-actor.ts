/**
 * Who made an API request, for the audit log (coordinator/audit/): `api-token` for the bearer token (or the
 * WebSocket's `?token=`), `session <8 hex>` for a dashboard login (a digest of the session cookie: the same login
 * reads the same, and the secret is not written anywhere). The request has passed auth.ts already.
 */
import { createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { readCookie, SESSION_COOKIE } from "./auth.js";

export function requestActor(request: FastifyRequest): string {
  if (request.headers.authorization !== undefined) return "api-token";
  const session = readCookie(request.headers.cookie, SESSION_COOKIE);
  if (session !== undefined) return `session ${createHash("sha256").update(session).digest("hex").slice(0, 8)}`;
  return "api-token";
}
