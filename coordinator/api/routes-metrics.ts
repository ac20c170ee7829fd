/** GET /api/metrics: the fleet in the Prometheus text format (coordinator/metrics/), for a scrape with the API token. */
import { z } from "zod";
import { EXPOSITION_CONTENT_TYPE } from "../metrics/exposition.js";
import { type ApiRoute, defineRoute } from "./route.js";

export function metricsRoutes(exposition: () => string): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      url: "/api/metrics",
      operationId: "getMetrics",
      summary: "The fleet as Prometheus metrics (text format 0.0.4): agents, partitions, plan, events, gallery.",
      tag: "metrics",
      response: z.string(),
      produces: EXPOSITION_CONTENT_TYPE,
      handle: ({ reply }) => reply.type(EXPOSITION_CONTENT_TYPE).header("cache-control", "no-store").send(exposition()),
    }),
  ];
}
