/**
 * One API route described once: method, path, zod schemas and handler. server.ts registers these
 * with Fastify (validating params and body with the schemas) and openapi.ts documents the same list,
 * so the OpenAPI document cannot drift from the routes.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";
import type { AuditRecord } from "../../protocol/api-audit.js";
import type { RouteAccess } from "./auth.js";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export type RouteContext<P, B, Q = undefined> = {
  params: Out<P>;
  body: Out<B>;
  query: Out<Q>;
  request: FastifyRequest;
  reply: FastifyReply;
};

export interface RouteSpec<P extends z.ZodType | undefined, B extends z.ZodType | undefined, Q extends z.ZodType | undefined = undefined> {
  method: HttpMethod;
  /** Fastify syntax: /api/agents/:id */
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  /**
   * Who may call it: `public` (no credentials: login, logout, openapi.json), `viewer` (reads), `operator` (moves,
   * pins, drains, enrollments, corrections, deletions, alert settings). A viewer on an operator's route gets 403.
   */
  access: RouteAccess;
  params?: P;
  body?: B;
  /** The query string (`?camera=hall&limit=20`), an object schema; values arrive as strings. */
  query?: Q;
  /** The 200 answer (JSON, unless `produces` says otherwise). */
  response: z.ZodType;
  /** The 200 answer's media type when it is not JSON (e.g. image/jpeg): the handler sends the bytes itself with `reply`. */
  produces?: string;
  /** Bytes of request body this route accepts (default: the server's 256 KiB). */
  bodyLimit?: number;
  /** Refusals beyond 400 (bad params/body) and 401 (no credentials) that the route can give. */
  refusals?: ReadonlyArray<404 | 409 | 422 | 429 | 503>;
  handle(context: RouteContext<P, B, Q>): unknown;
  /**
   * A route that changes who is recognised (enrollment, correction, naming, deletion): the audit log's entry for a
   * request it answered (audited-routes.ts adds who and when); `result` is what `handle` returned.
   */
  audit?(context: RouteContext<P, B, Q>, result: unknown): AuditRecord | AuditRecord[] | undefined;
}

/** A route with its types erased, as server.ts and openapi.ts see it. */
export interface ApiRoute extends Omit<RouteSpec<z.ZodType | undefined, z.ZodType | undefined, z.ZodType | undefined>, "handle" | "audit"> {
  handle(context: ErasedContext): unknown;
  audit?(context: ErasedContext, result: unknown): AuditRecord | AuditRecord[] | undefined;
}

type ErasedContext = { params: unknown; body: unknown; query: unknown; request: FastifyRequest; reply: FastifyReply };

/** Keeps the handler's params, body and query typed from the schemas while the route joins an untyped list. */
export function defineRoute<
  P extends z.ZodType | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
  Q extends z.ZodType | undefined = undefined,
>(spec: RouteSpec<P, B, Q>): ApiRoute {
  return spec as unknown as ApiRoute;
}
