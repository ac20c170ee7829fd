/**
 * GET /api/openapi.json: an OpenAPI 3.1 document generated from the same route list and zod schemas the
 * server validates with (z.toJSONSchema; request shapes as input, responses as output). Shared shapes
 * go to components.schemas and are referenced.
 */
import { z } from "zod";
import {
  agentListSchema,
  agentViewSchema,
  apiErrorSchema,
  loginBodySchema,
  planChangeResultSchema,
  planViewSchema,
  streamMessageSchema,
  targetAgentBodySchema,
} from "../../protocol/api.js";
import { SESSION_COOKIE } from "./auth.js";
import type { ApiRoute } from "./route.js";
import { STREAM_PATH } from "./stream.js";

type Json = Record<string, unknown>;

/** Schemas documented once under components.schemas, by name. */
const NAMED: ReadonlyArray<[z.ZodType, string, "input" | "output"]> = [
  [agentViewSchema, "AgentView", "output"],
  [agentListSchema, "AgentList", "output"],
  [planViewSchema, "PlanView", "output"],
  [planChangeResultSchema, "PlanChangeResult", "output"],
  [apiErrorSchema, "ApiError", "output"],
  [streamMessageSchema, "StreamMessage", "output"],
  [targetAgentBodySchema, "TargetAgentBody", "input"],
  [loginBodySchema, "LoginBody", "input"],
];

/**
 * A tuple of one type (a box `[x, y, w, h]`: `prefixItems` of four equal schemas, `items: false`) as the equal
 * `items` + `minItems` = `maxItems`: the same arrays, in the form every OpenAPI tool reads (schemathesis 4.32 rejects
 * the response schema of the first, and code generators widely ignore `prefixItems`).
 */
function plainTuples(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(plainTuples);
  if (typeof node !== "object" || node === null) return node;
  const out: Json = Object.fromEntries(Object.entries(node).map(([key, value]) => [key, plainTuples(value)]));
  const prefix = out.prefixItems;
  if (
    Array.isArray(prefix) &&
    prefix.length > 0 &&
    out.items === false &&
    out.minItems === prefix.length &&
    out.maxItems === prefix.length &&
    prefix.every((item) => JSON.stringify(item) === JSON.stringify(prefix[0]))
  ) {
    delete out.prefixItems;
    out.items = prefix[0];
  }
  return out;
}

function jsonSchema(schema: z.ZodType, io: "input" | "output"): Json {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: "any" }) as Json;
  return plainTuples(rest) as Json;
}

function schemaRef(schema: z.ZodType, io: "input" | "output"): Json {
  const named = NAMED.find(([s]) => s === schema);
  return named ? { $ref: `#/components/schemas/${named[1]}` } : jsonSchema(schema, io);
}

const jsonContent = (schema: Json) => ({ "application/json": { schema } });
const errorResponse = (description: string) => ({ description, content: jsonContent({ $ref: "#/components/schemas/ApiError" }) });

/** /api/agents/:id → /api/agents/{id} */
export const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, "{$1}");

function pathParameters(schema: z.ZodType): Json[] {
  const object = jsonSchema(schema, "input") as { properties?: Record<string, Json> };
  return Object.entries(object.properties ?? {}).map(([name, schema]) => ({ name, in: "path", required: true, schema }));
}

function queryParameters(schema: z.ZodType): Json[] {
  const object = jsonSchema(schema, "input") as { properties?: Record<string, Json & { description?: string }>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, schema]) => ({
    name,
    in: "query",
    required: object.required?.includes(name) ?? false,
    schema,
    ...(schema.description ? { description: schema.description } : {}),
  }));
}

function operation(route: ApiRoute): Json {
  const content = route.produces
    ? { [route.produces]: { schema: { type: "string", contentMediaType: route.produces } } }
    : jsonContent(schemaRef(route.response, "output"));
  const responses: Json = { "200": { description: "OK", content } };
  if (route.params || route.body || route.query)
    responses["400"] = errorResponse("Invalid path parameter, query parameter or body (the message names the field), or invalid JSON.");
  if (route.access !== "public") responses["401"] = errorResponse("Missing or wrong credentials.");
  if (route.access === "operator") responses["403"] = errorResponse("The credentials are a viewer's: this route needs the operator role.");
  else if (route.operationId === "login") responses["401"] = errorResponse("Wrong token or password.");
  if (route.refusals?.includes(404)) responses["404"] = errorResponse("No such agent, partition, camera or person.");
  if (route.refusals?.includes(409)) responses["409"] = errorResponse("Refused in the current state (agent offline or drained...).");
  if (route.refusals?.includes(422))
    responses["422"] = errorResponse("Well-formed but refused (a photo without exactly one usable face...).");
  if (route.refusals?.includes(429))
    responses["429"] = errorResponse("Too many failed attempts from this address: wait the Retry-After seconds.");
  if (route.refusals?.includes(503))
    responses["503"] = errorResponse("A part this route needs is not available now (models not loaded...).");
  const op: Json = { operationId: route.operationId, summary: route.summary, tags: [route.tag], responses };
  const parameters = [...(route.params ? pathParameters(route.params) : []), ...(route.query ? queryParameters(route.query) : [])];
  if (parameters.length > 0) op.parameters = parameters;
  if (route.body) op.requestBody = { required: true, content: jsonContent(schemaRef(route.body, "input")) };
  op.security = route.access === "public" ? [] : [{ bearer: [] }, { session: [] }];
  op["x-facefleet-role"] = route.access;
  return op;
}

const streamOperation: Json = {
  operationId: "stream",
  summary:
    "WebSocket (upgrade with GET). First a `snapshot` message, then `plan`, `agent` and `event` messages as they happen; every text frame is one StreamMessage JSON.",
  tags: ["stream"],
  "x-websocket": true,
  parameters: [
    {
      name: "token",
      in: "query",
      required: false,
      schema: { type: "string" },
      description: "The token, for clients that cannot set headers.",
    },
  ],
  responses: {
    "101": {
      description: "Switching Protocols; then StreamMessage frames.",
      content: jsonContent({ $ref: "#/components/schemas/StreamMessage" }),
    },
    "401": errorResponse("Missing or wrong credentials: the upgrade is refused."),
    "426": errorResponse("A plain GET, without the WebSocket upgrade."),
  },
  security: [{ bearer: [] }, { session: [] }, { queryToken: [] }],
};

export function buildOpenApi(routes: readonly ApiRoute[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const route of routes) {
    const path = openApiPath(route.url);
    paths[path] ??= {};
    paths[path][route.method.toLowerCase()] = operation(route);
  }
  paths[STREAM_PATH] = { get: streamOperation };
  return {
    openapi: "3.1.0",
    info: {
      title: "facefleet coordinator API",
      version: "1",
      description: `Agents, the partition plan and operator changes to it. Authenticate with Authorization: Bearer <token>, or log in at POST /api/login for the ${SESSION_COOKIE} cookie.`,
    },
    paths,
    components: {
      schemas: Object.fromEntries(NAMED.map(([schema, name, io]) => [name, jsonSchema(schema, io)])),
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "The coordinator's API token." },
        session: { type: "apiKey", in: "cookie", name: SESSION_COOKIE, description: "Set by POST /api/login." },
        queryToken: { type: "apiKey", in: "query", name: "token", description: "The token as ?token=, WebSocket only." },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
  };
}
