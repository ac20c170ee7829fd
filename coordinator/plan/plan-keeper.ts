/**
 * Keeps the published plan and the operator's intent (pins, drains, one-off moves), runs the planner
 * when asked, and publishes a new version only when owners, pins, drained agents or camera placements change. One
 * operation at a time (a queue): a move racing a fleet change can't publish two plans of one version.
 */
import type { PartitionPlan } from "../../protocol/plan.js";
import { planPartitions } from "../planner/index.js";
import { planChanged } from "../planner/plan-change.js";
import type { PartitionLoad, PartitionMove, PlannerAgent, PlannerSettings } from "../planner/types.js";
import type { CoordinatorState, CoordinatorStateFile } from "../state/coordinator-state.js";

export type FleetInput = {
  /** Live agents; `drained` is filled in from the keeper's own drains. */
  agents: readonly Omit<PlannerAgent, "drained">[];
  loads: readonly PartitionLoad[];
  partitionCount: number;
  /** Cameras that live agents capture (their health reports); the plan places each on a partition. */
  cameras?: readonly string[];
  /**
   * false while the load is not measured yet (a coordinator that just started): then the planner makes
   * only the moves it must (dead or drained owners, pins, new partitions), none for load.
   */
  loadKnown?: boolean;
};

export type ReplanResult = {
  plan: PartitionPlan | null;
  /** A new version was published. */
  published: boolean;
  moves: PartitionMove[];
  warnings: string[];
};

export type PlanKeeperOptions = {
  topic: string;
  settings: Partial<PlannerSettings>;
  /** Publishes a plan everywhere agents read it (Kafka first, then MQTT); throws when it could not. */
  publish: (plan: PartitionPlan) => Promise<void>;
  stateFile: CoordinatorStateFile;
  log: (line: string) => void;
  now?: () => number;
};

export class PlanKeeper {
  private current: PartitionPlan | null = null;
  private pins: Record<string, string> = {};
  private readonly drainedAgents = new Set<string>();
  private movedAt: Record<string, number> = {};
  private queue: Promise<unknown> = Promise.resolve();
  private readonly now: () => number;

  constructor(private readonly options: PlanKeeperOptions) {
    this.now = options.now ?? Date.now;
  }

  /** The state after a (re)start: the last published plan and the saved operator state. */
  restore(plan: PartitionPlan | null, saved: CoordinatorState | null): void {
    this.current = plan;
    this.pins = { ...(saved?.pins ?? plan?.pins ?? {}) };
    this.drainedAgents.clear();
    for (const agent of saved?.drained ?? plan?.drained ?? []) this.drainedAgents.add(agent);
    this.movedAt = { ...(saved?.movedAt ?? {}) };
  }

  get plan(): PartitionPlan | null {
    return this.current;
  }

  isDrained(agent: string): boolean {
    return this.drainedAgents.has(agent);
  }

  pinnedTo(partition: number): string | undefined {
    return this.pins[String(partition)];
  }

  /** Plans with the fleet as it is now; publishes when the plan changes. */
  replan(fleet: FleetInput, reason?: string): Promise<ReplanResult> {
    return this.serial(() => this.planAndPublish(fleet, undefined, reason));
  }

  /** Gives `partition` to `agent` once (the cooldown then keeps it there). */
  move(fleet: FleetInput, partition: number, agent: string): Promise<ReplanResult> {
    return this.serial(() => this.planAndPublish(fleet, { partition, agent }, `operator move: partition ${partition} to ${agent}`));
  }

  pin(fleet: FleetInput, partition: number, agent: string): Promise<ReplanResult> {
    return this.serial(() => {
      this.pins[String(partition)] = agent;
      return this.planAndPublish(fleet, undefined, `operator pin: partition ${partition} to ${agent}`);
    });
  }

  unpin(fleet: FleetInput, partition: number): Promise<ReplanResult> {
    return this.serial(() => {
      delete this.pins[String(partition)];
      return this.planAndPublish(fleet, undefined, `operator unpin: partition ${partition}`);
    });
  }

  setDrained(fleet: FleetInput, agent: string, drained: boolean): Promise<ReplanResult> {
    return this.serial(() => {
      if (drained) this.drainedAgents.add(agent);
      else this.drainedAgents.delete(agent);
      return this.planAndPublish(fleet, undefined, `operator ${drained ? "drain" : "undrain"}: ${agent}`);
    });
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private state(): CoordinatorState {
    return { pins: { ...this.pins }, drained: [...this.drainedAgents].sort(), movedAt: { ...this.movedAt } };
  }

  private async planAndPublish(
    fleet: FleetInput,
    move: { partition: number; agent: string } | undefined,
    operatorReason: string | undefined,
  ): Promise<ReplanResult> {
    const now = this.now();
    const agents = fleet.agents.map((agent) => ({ ...agent, drained: this.drainedAgents.has(agent.id) }));
    if (!agents.some((agent) => !agent.drained)) {
      // Nobody to give work to: the last plan stays (agents that come back find their partitions).
      await this.options.stateFile.save(this.state());
      return { plan: this.current, published: false, moves: [], warnings: ["no live, undrained agent: the plan is kept"] };
    }
    let previous = this.current;
    let movedAt = this.movedAt;
    if (move && previous) {
      previous = { ...previous, owners: { ...previous.owners, [String(move.partition)]: move.agent } };
      movedAt = { ...movedAt, [String(move.partition)]: now };
    }
    const result = planPartitions({
      previous,
      state: { movedAt },
      agents,
      loads: fleet.loads,
      pins: this.pins,
      cameras: fleet.cameras ?? [],
      partitionCount: fleet.partitionCount,
      topic: this.options.topic,
      now,
      settings:
        fleet.loadKnown === false ? { ...this.options.settings, imbalanceThreshold: Number.POSITIVE_INFINITY } : this.options.settings,
    });
    const moves = this.current ? movesAgainst(this.current, result.plan, result.moves) : result.moves;
    if (!planChanged(this.current, result.plan)) {
      this.movedAt = result.state.movedAt;
      await this.options.stateFile.save(this.state());
      return { plan: this.current, published: false, moves: [], warnings: result.warnings };
    }
    const reasons = [operatorReason, result.plan.reason].filter((text): text is string => Boolean(text) && text !== "unchanged");
    const plan: PartitionPlan = {
      ...result.plan,
      version: (this.current?.version ?? 0) + 1,
      createdAt: now,
      reason: reasons.join("; ") || "replanned",
    };
    await this.options.publish(plan);
    this.current = plan;
    this.movedAt = { ...result.state.movedAt };
    await this.options.stateFile.save(this.state());
    this.options.log(`plan v${plan.version} published: ${plan.reason}`);
    for (const warning of result.warnings) this.options.log(`planner: ${warning}`);
    return { plan, published: true, moves, warnings: result.warnings };
  }
}

/** Owner changes between the published plan and the next (an operator move counts as "pinned"). */
function movesAgainst(before: PartitionPlan, after: PartitionPlan, planned: readonly PartitionMove[]): PartitionMove[] {
  const why = new Map(planned.map((m) => [m.partition, m.why]));
  const moves: PartitionMove[] = [];
  for (const [key, to] of Object.entries(after.owners)) {
    const from = before.owners[key] ?? null;
    const partition = Number(key);
    if (from !== to) moves.push({ partition, from, to, why: why.get(partition) ?? (from === null ? "unassigned" : "pinned") });
  }
  return moves.sort((a, b) => a.partition - b.partition);
}
