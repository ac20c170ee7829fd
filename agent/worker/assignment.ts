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
  /** Called before the consumer is made (e.g. read the plan so the first join follows it). */
  prepare?(): Promise<void>;
  /** Called once the consumer runs; returns a function that detaches (called on stop). */
  attach?(consumer: Consumer, control: OwnershipControl): () => void;
  /** Called on the worker's stop, after the consumer left the group (also when start failed). */
  close?(): Promise<void>;
}

/** What the worker lets an ownership do to its consumer. */
export interface OwnershipControl {
  /**
   * Leave the group and join again (a rebalance): the frame in flight finishes, acknowledged offsets
   * are committed, the consumer stops (LeaveGroup) and runs again (JoinGroup). No-op while stopping.
   */
  rejoin(reason: string): Promise<void>;
}

/** Kafka's default consumer-group assignment. */
export function consumerGroupOwnership(groupId: string): PartitionOwnership {
  return {
    kind: "consumer-group",
    consumerConfig: () => ({ groupId }),
  };
}
