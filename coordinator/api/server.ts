/**
 * The coordinator's HTTP server: the REST routes it is given (each feature's `routes()`, routes-*.ts) under /api,
 * its own login/logout/session routes (its auth) and the OpenAPI document of all of them, the WebSocket stream
 * (stream.ts), the OpenAPI document (openapi.ts) and, optionally, the dashboard's static files with a
 * single-page-app fallback. Every route validates with the zod schemas of protocol/api.ts; every
 * failure is a JSON `{ error, message }` (errors.ts). Fastify's logger is off: `log` gets one line per 5xx.
 */
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import fastifyStatic from "@fastify/static";
import fastifyWebsocket from "@fastify/websocket";
import Fastify, { type FastifyInstance, type FastifyReply } from "fastify";
import { z } from "zod";
import type { CoordinatorControl } from "../control.js";
import { ApiTokenStore } from "../state/api-tokens.js";
import { ApiAuth } from "./auth.js";
import { badRequest, notFound, oneLine, toErrorReply } from "./errors.js";
import { buildOpenApi } from "./openapi.js";
import { type ApiRoute, defineRoute } from "./route.js";
import { sessionRoutes } from "./routes-session.js";
import { StreamHub } from "./stream.js";
import { parseOr400 } from "./validate.js";

export type ApiServerOptions = {
  control: CoordinatorControl;
  host: string;
  /** 0: any free port. */
  port: number;
  /** The bearer token every /api call needs (or a session from POST /api/login). */
  token: string;
  /** The dashboard password POST /api/login also accepts (an operator's); without it only tokens log in. */
  password?: string;
  /** The named tokens (`<stateDir>/api-tokens.json`, state/api-tokens.ts); absent: only `token`. */
  tokensFile?: string;
  /** Secure on the session cookie: `auto` (default) when the login came over TLS (x-forwarded-proto: https). */
  secureCookies?: boolean | "auto";
  /** The dashboard's built files, served at / with index.html as the fallback for unknown paths. */
  staticDir?: string;
  /** The routes to serve: every feature's (agents, partitions, cameras, people, events, …), registered and documented alike. */
  routes: ApiRoute[];
  log?: (line: string) => void;
};

export type ApiServer = { url: string; close(): Promise<void> };

const BODY_LIMIT_BYTES = 256 * 1024;
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");
/** Longer than any valid parameter, so that zod (not the router) refuses a long one and names it. */
const MAX_PARAM_LENGTH = 1024;
/** Incoming WebSocket frames are ignored; this caps what a client can make the server buffer. */
const WS_MAX_PAYLOAD_BYTES = 4 * 1024;

const isApiPath = (url: string) => {
  const path = url.split("?", 1)[0] ?? "";
  return path === "/api" || path.startsWith("/api/");
};

export async function startApiServer(o: ApiServerOptions): Promise<ApiServer> {
  const log = o.log ?? (() => {});
  const tokens = o.tokensFile !== undefined ? new ApiTokenStore(o.tokensFile, log) : undefined;
  const auth = new ApiAuth(o.token, o.password, Date.now, tokens, o.secureCookies ?? "auto");
  const hub = new StreamHub({ control: o.control, auth, log });
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // Errors of the router itself (a too long parameter, a malformed URL) get the same JSON body as the rest.
    frameworkErrors: (error, _request, reply) => {
      const { status, body } = toErrorReply(error);
      // frameworkErrors' reply is typed for a generic route; it is an ordinary reply.
      (reply as unknown as FastifyReply).code(status).type("application/json; charset=utf-8").send(body);
    },
  });
  try {
    installJsonParser(app);
    installErrorHandling(app, log, o.staticDir);
    await app.register(fastifyWebsocket, { options: { maxPayload: WS_MAX_PAYLOAD_BYTES }, preClose: () => hub.closeAll() });

    const routes: ApiRoute[] = [...sessionRoutes(auth), ...o.routes];
    let openApi: unknown;
    routes.push(
      defineRoute({
        method: "GET",
        url: "/api/openapi.json",
        operationId: "openApi",
        summary: "This document.",
        tag: "meta",
        access: "public",
        response: z.looseObject({ openapi: z.string() }),
        handle: () => openApi,
      }),
    );
    openApi = buildOpenApi(routes);
    for (const route of routes) registerRoute(app, route, auth);
    hub.register(app);

    if (o.staticDir !== undefined) {
      await app.register(fastifyStatic, { root: resolve(o.staticDir), prefix: "/", index: "index.html" });
    }

    await app.listen({ host: o.host, port: o.port });
  } catch (error) {
    await hub.closeAll();
    await app.close().catch(() => {});
    throw error;
  }
  const address = app.server.address();
  const port = typeof address === "object" && address !== null ? address.port : o.port;
  const host = o.host.includes(":") ? `[${o.host}]` : o.host;
  return { url: `http://${host}:${port}`, close: () => app.close() };
}

function registerRoute(app: FastifyInstance, route: ApiRoute, auth: ApiAuth): void {
  app.route({
    method: route.method,
    url: route.url,
    ...(route.bodyLimit !== undefined ? { bodyLimit: route.bodyLimit } : {}),
    ...(route.access === "public" ? {} : { onRequest: auth.hook(false, route.access) }),
    handler: async (request, reply) => {
      const params = route.params ? parseOr400(route.params, request.params) : undefined;
      const body = route.body ? parseOr400(route.body, request.body) : undefined;
      const query = route.query ? parseOr400(route.query, request.query ?? {}) : undefined;
      return await route.handle({ params, body, query, request, reply });
    },
  });
}

/** JSON bodies: an empty body is no body (POST .../drain with a JSON content type), bad JSON is a 400. */
function installJsonParser(app: FastifyInstance): void {
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    if (text.trim() === "") {
      done(null, undefined);
      return;
    }
    parseJson(request, text, (error, value) => {
      if (error) done(badRequest(`body: invalid JSON (${oneLine(error.message)})`), undefined);
      else done(null, value);
    });
  });
}

function installErrorHandling(app: FastifyInstance, log: (line: string) => void, staticDir: string | undefined): void {
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toErrorReply(error);
    if (status >= 500) log(`api: ${status} ${request.method} ${request.url.split("?", 1)[0]}: ${body.message}`);
    return reply.code(status).type("application/json; charset=utf-8").send(body);
  });

  const indexHtml = staticDir !== undefined && existsSync(resolve(staticDir, "index.html"));
  app.setNotFoundHandler((request, reply) => {
    if (indexHtml && !isApiPath(request.url) && (request.method === "GET" || request.method === "HEAD")) {
      // A path the single-page app routes itself.
      return reply.type("text/html; charset=utf-8").sendFile("index.html");
    }
    const { status, body } = toErrorReply(notFound(`no route ${request.method} ${request.url.split("?", 1)[0]}`));
    return reply.code(status).send(body);
  });

  app.addHook("onSend", async (request, reply, payload) => {
    reply.header("x-content-type-options", "nosniff");
    // The dashboard loads only its own scripts, styles and images (camera frames and crops are same-origin URLs or
    // data:), talks only to this server (fetch and its WebSocket), and may not be framed by another site.
    reply.header("content-security-policy", CONTENT_SECURITY_POLICY);
    reply.header("x-frame-options", "DENY");
    reply.header("referrer-policy", "no-referrer");
    if (isApiPath(request.url)) reply.header("cache-control", "no-store");
    return payload;
  });
}
