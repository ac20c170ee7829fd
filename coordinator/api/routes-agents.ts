/** Agents: list, one agent, drain and undrain. */
import { agentIdParamSchema, agentListSchema, agentViewSchema, planChangeResultSchema } from "../../protocol/api.js";
import type { CoordinatorControl } from "../control.js";
import { notFound } from "./errors.js";
import { type ApiRoute, defineRoute } from "./route.js";

export function agentRoutes(control: CoordinatorControl): ApiRoute[] {
  return [
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/agents",
      operationId: "listAgents",
      summary: "Every agent the coordinator has seen, with its status, partitions and latest health.",
      tag: "agents",
      response: agentListSchema,
      handle: () => ({ agents: control.agents() }),
    }),
    defineRoute({
      method: "GET",
      access: "viewer",
      url: "/api/agents/:id",
      operationId: "getAgent",
      summary: "One agent.",
      tag: "agents",
      params: agentIdParamSchema,
      response: agentViewSchema,
      refusals: [404],
      handle: ({ params }) => {
        const agent = control.agent(params.id);
        if (agent === undefined) throw notFound(`no agent "${params.id}"`);
        return agent;
      },
    }),
    defineRoute({
      method: "POST",
      access: "operator",
      url: "/api/agents/:id/drain",
      operationId: "drainAgent",
      summary: "Drains an agent: the plan gives it nothing and it is told to stop; answers once the plan is published and the agent acked.",
      tag: "agents",
      params: agentIdParamSchema,
      response: planChangeResultSchema,
      refusals: [404, 409],
      handle: ({ params }) => control.drain(params.id),
    }),
    defineRoute({
      method: "POST",
      access: "operator",
      url: "/api/agents/:id/undrain",
      operationId: "undrainAgent",
      summary: "Ends an agent's drain: the planner may give it partitions again.",
      tag: "agents",
      params: agentIdParamSchema,
      response: planChangeResultSchema,
      refusals: [404, 409],
      handle: ({ params }) => control.undrain(params.id),
    }),
  ];
}
