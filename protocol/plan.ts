import { z } from "zod";

export const PLAN_SCHEMA_VERSION = 1;

const agentId = z.string().min(1).max(128);
const partitionKey = z.string().regex(/^\d+$/, "must be a partition number");

/**
 * The coordinator's partition plan for facefleet.frames: which live agent owns which partition.
 * Published retained on MQTT `facefleet/plan` and on the compacted facefleet.plan topic (key "frames").
 * Agents keep the last plan they saw when the coordinator is down.
 */
export const partitionPlanSchema = z.object({
  schemaVersion: z.literal(PLAN_SCHEMA_VERSION),
  /** Grows by one with every published change. */
  version: z.number().int().nonnegative(),
  createdAt: z.number().int().positive(),
  topic: z.string().min(1),
  partitionCount: z.number().int().positive(),
  /** partition -> owning agent; every partition of the topic appears exactly once when an agent is alive. */
  owners: z.record(partitionKey, agentId),
  /** Operator pins: partition -> agent, always honoured while that agent is alive. */
  pins: z.record(partitionKey, agentId).default({}),
  /**
   * Camera -> partition: where each camera's capture producer sends its frames, one camera per partition
   * while there are enough (coordinator/planner/place-cameras.ts). A camera not listed goes by key hash.
   */
  cameras: z.record(z.string().min(1).max(128), z.number().int().nonnegative()).default({}),
  /** Agents the operator drained: they own nothing. */
  drained: z.array(agentId).default([]),
  /** Why this version was made (agent joined, agent lost, load, operator move...). */
  reason: z.string(),
});

export type PartitionPlan = z.infer<typeof partitionPlanSchema>;

/** The partitions a plan gives one agent, sorted. */
export function partitionsOf(plan: Pick<PartitionPlan, "owners">, agent: string): number[] {
  return Object.entries(plan.owners)
    .filter(([, owner]) => owner === agent)
    .map(([partition]) => Number(partition))
    .sort((a, b) => a - b);
}
