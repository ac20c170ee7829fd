/**
 * The planner's inputs and outputs. The planner is a pure function of these (no I/O, no clock, no
 * randomness): the same input gives the same plan, so a restarted coordinator that reads the last
 * plan and its state back changes nothing that doesn't need changing.
 */
import type { PartitionPlan } from "../../protocol/plan.js";

/** A live agent as the registry sees it (from MQTT status/health). Agents not listed are dead. */
export type PlannerAgent = {
  id: string;
  /** Frames per second it has shown it can process (health `capacityFps`); 0 = not measured yet. */
  capacityFps: number;
  /** Has an accelerator (health `device.accelerator` not null): takes the heaviest partitions first. */
  accelerator: boolean;
  /** Drained by the operator: owns nothing. */
  drained: boolean;
};

/** Measured load of one partition of the frames topic. */
export type PartitionLoad = {
  partition: number;
  /** Frames per second produced into the partition. */
  fps: number;
  /** Processing cost per frame (faces per frame make it vary); absent = the fleet's average. */
  costMsPerFrame?: number;
  /** Consumer lag in frames; counts as extra load only with `lagCatchUpSeconds` set. */
  lag?: number;
};

export type PlannerSettings = {
  /** Hysteresis: besides overload, an agent sheds work only when its utilisation exceeds the fleet's by this fraction (0.25 = 25 %). */
  imbalanceThreshold: number;
  /** A partition moved less than this long ago stays put unless its owner died or was drained, a pin moves it, or its owner is above capacity without it. */
  cooldownMs: number;
  /** Cost per frame at which `capacityFps` holds; default: the fps-weighted mean of the reported costs. */
  referenceCostMs?: number;
  /** If set, a partition's lag adds lag / lagCatchUpSeconds frames/s of load (catch up within that time). */
  lagCatchUpSeconds?: number;
  /** Capacity assumed for an agent that reports 0 (not measured yet). */
  unmeasuredCapacityFps: number;
};

export const defaultPlannerSettings: PlannerSettings = {
  imbalanceThreshold: 0.25,
  cooldownMs: 60_000,
  unmeasuredCapacityFps: 1,
};

/** Planner bookkeeping that is not part of the published plan. */
export type PlannerState = {
  /** partition -> epoch ms of its last move (for the cooldown). */
  movedAt: Record<string, number>;
};

export type PlannerInput = {
  previous?: PartitionPlan | null;
  state?: PlannerState | null;
  agents: readonly PlannerAgent[];
  loads: readonly PartitionLoad[];
  /** Operator pins: partition -> agent. */
  pins?: Readonly<Record<string, string>>;
  /** Cameras that live agents capture now (health `cameras`); each gets a partition (place-cameras.ts). */
  cameras?: readonly string[];
  partitionCount: number;
  topic: string;
  /** Epoch ms; the plan's createdAt and the cooldown clock. */
  now: number;
  settings?: Partial<PlannerSettings>;
};

export type MoveReason =
  /** No owner before (first plan, or a new partition). */
  | "unassigned"
  /** The owner is no longer alive. */
  | "owner-lost"
  /** The owner was drained. */
  | "owner-drained"
  /** An operator pin. */
  | "pinned"
  /** The owner was above its capacity. */
  | "overload"
  /** The owner was above the fleet's utilisation by more than the threshold. */
  | "imbalance";

export type PartitionMove = { partition: number; from: string | null; to: string; why: MoveReason };

export type PlannerResult = {
  plan: PartitionPlan;
  state: PlannerState;
  /** Owner changes against the previous plan (partitions with no owner before have from = null). */
  moves: PartitionMove[];
  warnings: string[];
  /** Whether owners, pins, drained agents or camera placements differ from the previous plan (then version = previous + 1). */
  changed: boolean;
};
