/**
 * The operator's side of the coordinator (CoordinatorControl for the API): agent and plan views, and
 * move / pin / unpin / drain / undrain checked against the live fleet (not-found → 404, conflict → 409)
 * before the plan keeper makes and publishes the plan. Drain and undrain also send the agent its command
 * and return its acknowledgement.
 */
import type { AgentView, PlanChangeResult, PlanView, StreamMessage } from "../protocol/api.js";
import type { CommandAck } from "../protocol/command.js";
import type { PartitionPlan } from "../protocol/plan.js";
import { ControlError, type CoordinatorControl, type LiveViewer } from "./control.js";
import type { FleetInput, PlanKeeper, ReplanResult } from "./plan/plan-keeper.js";
import type { AgentRegistry } from "./registry/agent-registry.js";

export type FleetControlDeps = {
  registry: AgentRegistry;
  keeper: PlanKeeper;
  framesTopic: string;
  partitionCount: () => number;
  /** The planner's input as the fleet is now. */
  fleet: () => FleetInput;
  agentView: (id: string) => AgentView | undefined;
  planView: () => PlanView;
  /** Tells the stream about a published plan; returns the result unchanged. */
  afterPlan: (result: ReplanResult) => ReplanResult;
  emit: (message: StreamMessage) => void;
  subscribe: (listener: (message: StreamMessage) => void) => () => void;
  /** A live-view viewer (coordinator/media/live-viewers.ts). */
  viewer: () => LiveViewer;
  /** Sends a command to an agent; null when it did not answer in time. */
  command: (agent: string, command: "drain" | "undrain") => Promise<CommandAck | null>;
};

export function createFleetControl(deps: FleetControlDeps): CoordinatorControl {
  const { registry, keeper, fleet, agentView, afterPlan } = deps;
  const requireAgent = (id: string) => {
    if (!registry.get(id)) throw new ControlError("not-found", `agent ${id}: unknown (never reported)`);
  };
  const requirePartition = (partition: number) => {
    const count = deps.partitionCount();
    if (!Number.isInteger(partition) || partition < 0 || partition >= count)
      throw new ControlError("not-found", `partition ${partition}: ${deps.framesTopic} has partitions 0..${count - 1}`);
  };
  const requireWorkable = (id: string) => {
    requireAgent(id);
    if (!registry.isLive(id)) throw new ControlError("conflict", `agent ${id} is offline`);
    if (keeper.isDrained(id)) throw new ControlError("conflict", `agent ${id} is drained: undrain it first`);
  };
  const published = (result: ReplanResult): PartitionPlan => {
    if (!result.plan) throw new ControlError("conflict", result.warnings[0] ?? "no plan yet");
    return result.plan;
  };
  const sendCommand = async (agent: string, command: "drain" | "undrain") => {
    if (!registry.isLive(agent)) return null;
    const ack = await deps.command(agent, command).catch(() => null);
    return ack ? { ok: ack.ok, message: ack.message } : null;
  };
  const setDrained = async (agent: string, drained: boolean): Promise<PlanChangeResult> => {
    // Draining: the plan without it makes the agents rebalance; the drained agent finishes its frame in
    // flight, commits and leaves its partitions to the others (docs/partition-assignment.md).
    const [result, ack] = await Promise.all([
      keeper.setDrained(fleet(), agent, drained),
      sendCommand(agent, drained ? "drain" : "undrain"),
    ]);
    afterPlan(result);
    const view = agentView(agent);
    if (view) deps.emit({ type: "agent", agent: view });
    return { plan: published(result), ack };
  };

  return {
    agents: () => registry.all().flatMap((r) => agentView(r.id) ?? []),
    agent: (id) => agentView(id),
    plan: deps.planView,
    async move(partition, agent) {
      requirePartition(partition);
      requireWorkable(agent);
      const pinned = keeper.pinnedTo(partition);
      if (pinned !== undefined && pinned !== agent)
        throw new ControlError("conflict", `partition ${partition} is pinned to ${pinned}: unpin it first`);
      return { plan: published(afterPlan(await keeper.move(fleet(), partition, agent))) };
    },
    async pin(partition, agent) {
      requirePartition(partition);
      requireWorkable(agent);
      return { plan: published(afterPlan(await keeper.pin(fleet(), partition, agent))) };
    },
    async unpin(partition) {
      requirePartition(partition);
      return { plan: published(afterPlan(await keeper.unpin(fleet(), partition))) };
    },
    async drain(agent) {
      requireAgent(agent);
      const others = fleet()
        .agents.map((a) => a.id)
        .filter((id) => id !== agent && !keeper.isDrained(id));
      if (!keeper.isDrained(agent) && others.length === 0)
        throw new ControlError("conflict", `agent ${agent}: no other live, undrained agent would take its partitions`);
      return setDrained(agent, true);
    },
    async undrain(agent) {
      requireAgent(agent);
      return setDrained(agent, false);
    },
    subscribe: deps.subscribe,
    viewer: deps.viewer,
  };
}
