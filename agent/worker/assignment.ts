import type { Consumer, ConsumerConfig } from "kafkajs";

/**
 * Who owns which partitions of facefleet.frames: the one seam between the worker and partition
 * planning. The worker asks it for the consumer-group settings it needs and lets it attach to the
 * running consumer; nothing else in the worker knows how partitions are handed out.
 *
 * Today: Kafka's own consumer group with kafkajs's default (round-robin) assigner. The coordinator
 * replaces it with one whose `partitionAssigners` map partitions to members by its plan (the leader's
 * `assign()` reads the plan) and whose `attach` rejoins the group when the plan changes.
 */
export interface PartitionOwnership {
  /** For logs and health: "consumer-group", "coordinator-plan", … */
  readonly kind: string;
  /** Merged into kafka.consumer(…). */
  consumerConfig(): Pick<ConsumerConfig, "groupId" | "partitionAssigners">;
  /** Called once the consumer runs; returns a function that detaches (called on stop). */
  attach?(consumer: Consumer): () => void;
}

/** Kafka's default consumer-group assignment. */
export function consumerGroupOwnership(groupId: string): PartitionOwnership {
  return {
    kind: "consumer-group",
    consumerConfig: () => ({ groupId }),
  };
}
