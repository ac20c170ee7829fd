/** The plan and operator changes to it: move a partition, pin it, unpin it. */
import { partitionParamSchema, planChangeResultSchema, planViewSchema, targetAgentBodySchema } from "../../protocol/api.js";
import type { CoordinatorControl } from "../control.js";
import { type ApiRoute, defineRoute } from "./route.js";

export function partitionRoutes(control: CoordinatorControl): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/plan",
      operationId: "getPlan",
      summary: "The current partition plan (null before the first) and the measured load of every partition.",
      tag: "plan",
      response: planViewSchema,
      handle: () => control.plan(),
    }),
    defineRoute({
      method: "POST",
      access: "operator",
      url: "/api/partitions/:partition/move",
      operationId: "movePartition",
      summary: "Gives a partition to an agent once (it then stays there for the planner's cooldown); answers once the plan is published.",
      tag: "plan",
      params: partitionParamSchema,
      body: targetAgentBodySchema,
      response: planChangeResultSchema,
      refusals: [404, 409],
      handle: ({ params, body }) => control.move(params.partition, body.agent),
    }),
    defineRoute({
      method: "PUT",
      access: "operator",
      url: "/api/partitions/:partition/pin",
      operationId: "pinPartition",
      summary: "Pins a partition to an agent: the planner honours it while the agent is alive.",
      tag: "plan",
      params: partitionParamSchema,
      body: targetAgentBodySchema,
      response: planChangeResultSchema,
      refusals: [404, 409],
      handle: ({ params, body }) => control.pin(params.partition, body.agent),
    }),
    defineRoute({
      method: "DELETE",
      access: "operator",
      url: "/api/partitions/:partition/pin",
      operationId: "unpinPartition",
      summary: "Removes a partition's pin (unpinning an unpinned partition is not an error); 409 while no plan can be made.",
      tag: "plan",
      params: partitionParamSchema,
      response: planChangeResultSchema,
      refusals: [404, 409],
      handle: ({ params }) => control.unpin(params.partition),
    }),
  ];
}
