/**
 * One API route described once: method, path, zod schemas and handler. server.ts registers these
 * with Fastify (validating params and body with the schemas) and openapi.ts documents the same list,
 * so the OpenAPI document cannot drift from the routes.
 */
import type { FastifyReply, FastifyRequest } from "fastify";
import type { z } from "zod";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

type Out<S> = S extends z.ZodType ? z.output<S> : undefined;

export type RouteContext<P, B> = { params: Out<P>; body: Out<B>; request: FastifyRequest; reply: FastifyReply };

export interface RouteSpec<P extends z.ZodType | undefined, B extends z.ZodType | undefined> {
  method: HttpMethod;
  /** Fastify syntax: /api/agents/:id */
  url: string;
  operationId: string;
  summary: string;
  tag: string;
  /** Served without credentials (login, logout, openapi.json). */
  public?: boolean;
  params?: P;
  body?: B;
  /** The 200 answer (JSON, unless `produces` says otherwise). */
  response: z.ZodType;
  /** The 200 answer's media type when it is not JSON (e.g. image/jpeg): the handler sends the bytes itself with `reply`. */
  produces?: string;
  /** Bytes of request body this route accepts (default: the server's 256 KiB). */
  bodyLimit?: number;
  /** Refusals beyond 400 (bad params/body) and 401 (no credentials) that the route can give. */
  refusals?: ReadonlyArray<404 | 409 | 422 | 503>;
  handle(context: RouteContext<P, B>): unknown;
}

/** A route with its types erased, as server.ts and openapi.ts see it. */
export interface ApiRoute extends Omit<RouteSpec<z.ZodType | undefined, z.ZodType | undefined>, "handle"> {
  handle(context: { params: unknown; body: unknown; request: FastifyRequest; reply: FastifyReply }): unknown;
}

/** Keeps the handler's params and body typed from the schemas while the route joins an untyped list. */
export function defineRoute<P extends z.ZodType | undefined = undefined, B extends z.ZodType | undefined = undefined>(
  spec: RouteSpec<P, B>,
): ApiRoute {
  return spec as unknown as ApiRoute;
}
