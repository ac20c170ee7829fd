/**
 * What the coordinator knows of the fleet, shared by its features: the agents (registry), the measured load
 * per partition (meter) and the plan (keeper), and the views of them the API and the planner read.
 */
import type { Kafka } from "kafkajs";
import { median } from "../core/stats.js";
import type { AgentView, PlanView } from "../protocol/api.js";
import type { AgentHealth } from "../protocol/health.js";
import { type PartitionPlan, partitionsOf } from "../protocol/plan.js";
import type { CoordinatorConfig } from "./config.js";
import { PartitionLoadMeter } from "./load/partition-load-meter.js";
import { type FleetInput, PlanKeeper } from "./plan/plan-keeper.js";
import { holdingsMatchPlan, SettleGate } from "./plan/plan-settled.js";
import { AgentRegistry } from "./registry/agent-registry.js";
import type { CoordinatorStateFile } from "./state/coordinator-state.js";

export type FleetStateOptions = {
  config: CoordinatorConfig;
  kafka: Kafka;
  stateFile: CoordinatorStateFile;
  /** Publishes a new plan (Kafka, then MQTT); the keeper calls it. */
  publishPlan: (plan: PartitionPlan) => Promise<void>;
  log: (line: string) => void;
};

/** The `total` stage is the processing time of a frame (the queue wait is a stage of its own). */
const costOf = (health: AgentHealth | null | undefined): number | null => health?.latencyMs.total?.p50 ?? null;

export class FleetState {
  readonly registry: AgentRegistry;
  readonly meter: PartitionLoadMeter;
  readonly keeper: PlanKeeper;
  private readonly settleGate: SettleGate;
  private readonly framesTopic: string;

  constructor(o: FleetStateOptions) {
    const { config } = o;
    this.settleGate = new SettleGate(config.planner.settleMs);
    this.framesTopic = config.framesTopic;
    this.registry = new AgentRegistry(config.liveness.missedHealthMs);
    this.meter = new PartitionLoadMeter(o.kafka, config.framesTopic, config.workerGroupId);
    this.keeper = new PlanKeeper({
      topic: config.framesTopic,
      settings: {
        imbalanceThreshold: config.planner.imbalanceThreshold,
        cooldownMs: config.planner.cooldownMs,
        unmeasuredCapacityFps: config.planner.unmeasuredCapacityFps,
        ...(config.planner.lagCatchUpSeconds !== undefined ? { lagCatchUpSeconds: config.planner.lagCatchUpSeconds } : {}),
      },
      publish: o.publishPlan,
      stateFile: o.stateFile,
      log: o.log,
    });
  }

  partitionCount(): number {
    return this.meter.partitionCount || this.keeper.plan?.partitionCount || 1;
  }

  planView(): PlanView {
    const plan = this.keeper.plan;
    return {
      plan,
      loads: this.meter.current().map((s) => {
        const owner = plan?.owners[String(s.partition)];
        return { partition: s.partition, fps: s.fps, lag: s.lag, costMsPerFrame: owner ? costOf(this.registry.get(owner)?.health) : null };
      }),
    };
  }

  agentView(id: string): AgentView | undefined {
    const record = this.registry.get(id);
    if (!record) return undefined;
    return {
      id,
      online: this.registry.isLive(id),
      status: record.status,
      lastSeen: this.registry.lastSeen(id),
      drained: this.keeper.isDrained(id),
      partitions: this.keeper.plan ? partitionsOf(this.keeper.plan, id) : [],
      health: record.health,
    };
  }

  /**
   * Live agents that can be given partitions: a capture-only agent (health `inference: false`) consumes
   * nothing, though its cameras are placed all the same. An agent not heard from yet counts (agents report
   * health as soon as they connect, and a restarted coordinator sees retained statuses first).
   */
  workerIds(): string[] {
    return this.registry.liveIds().filter((id) => this.registry.get(id)?.health?.inference !== false);
  }

  /**
   * Whether a load replan may run now: every live worker holds what the plan gives it (plan-settled.ts), or it has
   * not for `planner.settleMs` already.
   */
  settledForLoad(now = Date.now()): boolean {
    const workers = this.workerIds().map((id) => ({ id, health: this.registry.get(id)?.health }));
    return this.settleGate.open(holdingsMatchPlan(this.keeper.plan, workers, this.framesTopic), now);
  }

  /** The planner's input as the fleet is now. */
  fleetInput(): FleetInput {
    const reporting = this.registry.liveIds().map((id) => ({ id, health: this.registry.get(id)?.health }));
    const workers = new Set(this.workerIds());
    const live = reporting.filter(({ id }) => workers.has(id));
    // An agent that has not processed a frame yet has no measured capacity (and would never get the
    // work to measure it): it counts as the fleet's median until it has one.
    const measured = live.map((a) => a.health?.capacityFps ?? 0).filter((c) => c > 0);
    const fallback = median(measured);
    return {
      agents: live.map(({ id, health }) => ({
        id,
        capacityFps: health?.capacityFps || fallback,
        accelerator: (health?.device.accelerator ?? null) !== null,
      })),
      // No cost per frame: the only measure is the owner's processing time, which is as much the agent's
      // speed (already in its capacity) as the partition's content, and would count a slow agent twice.
      loads: this.meter.current().map((l) => ({ partition: l.partition, fps: l.fps, ...(l.lag !== null ? { lag: l.lag } : {}) })),
      cameras: [...new Set(reporting.flatMap(({ health }) => (health?.cameras ?? []).map((camera) => camera.id)))].sort(),
      partitionCount: this.partitionCount(),
      loadKnown: this.meter.measured,
    };
  }
}
