import type { Kafka } from "kafkajs";
import { FacefleetError } from "../../core/errors.js";
import { readPlanTopic } from "../../kafka/plan-topic.js";
import type { PartitionPlan } from "../../protocol/plan.js";
import { topics } from "../../protocol/topics.js";

/** The newest plan for `framesTopic` in the compacted plan topic, or null. */
export async function readLastPlan(kafka: Kafka, framesTopic: string): Promise<PartitionPlan | null> {
  let newest: PartitionPlan | null = null;
  const reader = await readPlanTopic({
    kafka,
    clientName: "coordinator",
    onPlan: (plan) => {
      if (plan.topic === framesTopic && (!newest || plan.version > newest.version)) newest = plan;
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      reader.caughtUp,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new FacefleetError(`cannot read ${topics.plan} to its end within 30 s`)), 30_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await reader.stop();
  }
  return newest;
}
