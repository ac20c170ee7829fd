/** The coordinator's partition planner (pure, deterministic): see plan-partitions.ts. */
export { planPartitions } from "./plan-partitions.js";
export {
  defaultPlannerSettings,
  type MoveReason,
  type PartitionLoad,
  type PartitionMove,
  type PlannerAgent,
  type PlannerInput,
  type PlannerResult,
  type PlannerSettings,
  type PlannerState,
} from "./types.js";
