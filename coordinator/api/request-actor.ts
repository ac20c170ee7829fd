/**
 * Who made an API request, for the audit log (coordinator/audit/): `api-token` for the coordinator's own token,
 * `token <name>` for a named token (`facefleet api-tokens`), `session <8 hex>` for a dashboard login (a digest of
 * the session cookie: the same login reads the same, and the secret is not written anywhere), followed by
 * `(token id <id>)` when that session was opened with a named token. The request has passed auth.ts already.
 */
import { createHash } from "node:crypto";
import type { FastifyRequest } from "fastify";
import { identityOf, readCookie, SESSION_COOKIE } from "./auth.js";

export function requestActor(request: FastifyRequest): string {
  const identity = identityOf(request);
  const named = identity?.via.match(/^token '(.+)'$/)?.[1];
  if (named !== undefined) return `token ${named}`;
  if (request.headers.authorization !== undefined) return "api-token";
  const session = readCookie(request.headers.cookie, SESSION_COOKIE);
  if (session === undefined) return "api-token";
  const digest = createHash("sha256").update(session).digest("hex").slice(0, 8);
  return identity?.tokenId ? `session ${digest} (token id ${identity.tokenId})` : `session ${digest}`;
}
