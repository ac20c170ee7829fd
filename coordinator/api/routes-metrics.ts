/**
 * GET /metrics: the fleet's series in the Prometheus text format 0.0.4 (coordinator/metrics/), behind the API token
 * like /api (a scrape config sends it as `authorization: { credentials_file: … }`). Documented in the OpenAPI
 * document with the other routes, as text/plain.
 */
import { z } from "zod";
import { EXPOSITION_CONTENT_TYPE } from "../../core/metrics/exposition.js";
import { type ApiRoute, defineRoute } from "./route.js";

export const METRICS_PATH = "/metrics";

export function metricsRoutes(render: () => string): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      access: "viewer",
      url: METRICS_PATH,
      operationId: "metrics",
      summary:
        "The fleet's metrics for Prometheus (text exposition format 0.0.4): agents online, per-agent fps, stage latency p50/p95 and embeddings, per-partition fps, lag and owner, the plan version, plan changes and partition moves, recognition events by type, event delivery times.",
      tag: "metrics",
      response: z.string(),
      produces: EXPOSITION_CONTENT_TYPE,
      handle: ({ reply }) => reply.type(EXPOSITION_CONTENT_TYPE).header("cache-control", "no-store").send(render()),
    }),
  ];
}
