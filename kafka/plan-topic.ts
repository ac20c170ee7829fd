/**
 * The compacted facefleet.plan topic: the coordinator's PartitionPlan (protocol/plan.ts) for
 * facefleet.frames, key "frames", value = the plan as JSON. Compaction keeps the newest record, so a
 * reader from the beginning ends on the current plan; readers still keep the highest `version` seen
 * (a late duplicate or an old coordinator's record never moves them back).
 */
import type { Kafka, Producer } from "kafkajs";
import { formatZodIssue } from "../core/format-issue.js";
import { type PartitionPlan, partitionPlanSchema } from "../protocol/plan.js";
import { topics } from "../protocol/topics.js";
import { startTopicReader } from "./topic-reader.js";

/** The record key of the frames topic's plan. */
export const PLAN_KEY = "frames";

export function encodePlan(plan: PartitionPlan): { key: string; value: string } {
  return { key: PLAN_KEY, value: JSON.stringify(partitionPlanSchema.parse(plan)) };
}

export type DecodedPlan = { ok: true; plan: PartitionPlan } | { ok: false; reason: string };

/** A plan record's value; anything else (bad JSON, wrong schema, a tombstone) is a reason. */
export function decodePlan(value: Buffer | string | null): DecodedPlan {
  if (value === null || value.length === 0) return { ok: false, reason: "empty value (tombstone)" };
  let json: unknown;
  try {
    json = JSON.parse(String(value));
  } catch (error) {
    return { ok: false, reason: `not JSON: ${(error as Error).message}` };
  }
  const parsed = partitionPlanSchema.safeParse(json);
  return parsed.success ? { ok: true, plan: parsed.data } : { ok: false, reason: formatZodIssue(parsed.error) };
}

/** Publishes a plan (acks=all). Pass a connected producer, or a Kafka client for a one-off producer. */
export async function publishPlan(target: Producer | Kafka, plan: PartitionPlan, topic: string = topics.plan): Promise<void> {
  const message = encodePlan(plan);
  if ("send" in target) {
    await target.send({ topic, acks: -1, messages: [message] });
    return;
  }
  const producer = target.producer({ allowAutoTopicCreation: false });
  await producer.connect();
  try {
    await producer.send({ topic, acks: -1, messages: [message] });
  } finally {
    await producer.disconnect();
  }
}

export type PlanTopicReader = {
  /** Resolves once the topic is read to the end it had when the reader started. */
  readonly caughtUp: Promise<void>;
  stop(): Promise<void>;
};

export type PlanTopicReaderOptions = {
  kafka: Kafka;
  topic?: string;
  /** Names the reader's consumer group (a fresh one per start, nothing committed). */
  clientName: string;
  /** Every valid plan record, in topic order (not necessarily growing versions). */
  onPlan: (plan: PartitionPlan) => void;
  /** A record that is not a valid plan (skipped). */
  onInvalid?: (reason: string, offset: string) => void;
};

/**
 * Reads the plan topic from its beginning and keeps following it: a consumer group of its own
 * (fresh id, nothing committed), so every reader sees every plan. Throws when the topic is missing.
 */
export async function readPlanTopic(options: PlanTopicReaderOptions): Promise<PlanTopicReader> {
  const reader = await startTopicReader({
    kafka: options.kafka,
    topic: options.topic ?? topics.plan,
    clientName: `plan-${options.clientName}`,
    fromBeginning: true,
    what: "plan topic",
    onBatch: ({ messages }) => {
      for (const message of messages) {
        if (message.key !== null && String(message.key) !== PLAN_KEY) continue;
        const decoded = decodePlan(message.value);
        if (decoded.ok) options.onPlan(decoded.plan);
        else options.onInvalid?.(decoded.reason, message.offset);
      }
    },
  });
  return { caughtUp: reader.caughtUp, stop: reader.stop };
}
