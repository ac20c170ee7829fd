/**
 * The compacted facefleet.plan topic: the coordinator's PartitionPlan (protocol/plan.ts) for
 * facefleet.frames, key "frames", value = the plan as JSON. Compaction keeps the newest record, so a
 * reader from the beginning ends on the current plan; readers still keep the highest `version` seen
 * (a late duplicate or an old coordinator's record never moves them back).
 */
import { randomUUID } from "node:crypto";
import type { Consumer, Kafka, Producer } from "kafkajs";
import { FacefleetError } from "../cli/errors.js";
import { formatZodIssue } from "../protocol/format-issue.js";
import { type PartitionPlan, partitionPlanSchema } from "../protocol/plan.js";
import { topics } from "../protocol/topics.js";
import { deleteReaderGroup } from "./delete-reader-group.js";

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
  const { kafka, clientName } = options;
  const topic = options.topic ?? topics.plan;
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, number>;
  try {
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) throw new FacefleetError(`plan topic ${topic} does not exist: run facefleet topics ensure`);
    const offsets = await admin.fetchTopicOffsets(topic);
    ends = new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const positions = new Map<number, number>();
  let caughtUp!: () => void;
  const ready = new Promise<void>((resolve) => {
    caughtUp = resolve;
  });
  const check = () => {
    for (const [partition, end] of ends) if ((positions.get(partition) ?? 0) < end) return;
    caughtUp();
  };
  let stopped = false;
  const groupId = `facefleet-plan-${clientName}-${randomUUID().slice(0, 8)}`;
  const consumer: Consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
    retry: { restartOnFailure: async () => !stopped },
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch, heartbeat }) => {
      for (const message of batch.messages) {
        if (message.key !== null && String(message.key) !== PLAN_KEY) continue;
        const decoded = decodePlan(message.value);
        if (decoded.ok) options.onPlan(decoded.plan);
        else options.onInvalid?.(decoded.reason, message.offset);
      }
      positions.set(batch.partition, Number(batch.lastOffset()) + 1);
      check();
      await heartbeat();
    },
  });
  check();
  return {
    caughtUp: ready,
    async stop() {
      stopped = true;
      await consumer.disconnect().catch(() => undefined);
      await deleteReaderGroup(kafka, groupId);
    },
  };
}
