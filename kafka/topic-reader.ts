/**
 * A reader of a whole topic for one process: a consumer group of its own (a fresh id per start, nothing
 * committed, deleted on stop), so every reader sees every record. From the beginning, `caughtUp`
 * resolves once the records that were there at the start are handed over (the compacted plan and gallery
 * topics are read like this, then followed); from the end, only new records come (events, annotated
 * frames). Used by the plan and gallery followers and the coordinator's feeds.
 */
import { randomUUID } from "node:crypto";
import type { Consumer, Kafka, KafkaMessage } from "kafkajs";
import { FacefleetError } from "../core/errors.js";
import { restartAfterCrash } from "./consumer-restart.js";
import { deleteReaderGroup } from "./delete-reader-group.js";

export type TopicBatch = {
  partition: number;
  messages: KafkaMessage[];
  /** The reader's total (sum of positions) with this batch counted: batches can come before startTopicReader resolves. */
  total: number;
};

export type TopicReaderOptions = {
  kafka: Kafka;
  topic: string;
  /** Names the consumer group: `facefleet-<clientName>-<random>`. */
  clientName: string;
  fromBeginning: boolean;
  /** Every batch in partition order; the reader's position already counts it. */
  onBatch: (batch: TopicBatch) => void | Promise<void>;
  maxWaitTimeInMs?: number;
  /** What the topic is, for the missing-topic error ("gallery topic", "plan topic"). */
  what?: string;
};

export type TopicReader = {
  /** With fromBeginning: resolves once the topic is read to the end it had at the start; else at once. */
  readonly caughtUp: Promise<void>;
  /** Resolves when caughtUp does; rejects with `message` after `timeoutMs` (the reader keeps running). */
  waitCaughtUp(timeoutMs: number, message: string): Promise<void>;
  stop(): Promise<void>;
};

export async function startTopicReader(options: TopicReaderOptions): Promise<TopicReader> {
  const { kafka, topic } = options;
  const admin = kafka.admin();
  await admin.connect();
  let ends = new Map<number, number>();
  try {
    if (!(await admin.listTopics()).includes(topic))
      throw new FacefleetError(`${options.what ?? "topic"} ${topic} does not exist: run facefleet topics ensure`);
    if (options.fromBeginning) {
      const offsets = await admin.fetchTopicOffsets(topic);
      ends = new Map(offsets.filter((o) => Number(o.high) > Number(o.low)).map((o) => [o.partition, Number(o.high)]));
    }
  } finally {
    await admin.disconnect();
  }

  const positions = new Map<number, number>();
  let markCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => {
    markCaughtUp = resolve;
  });
  const check = () => {
    for (const [partition, end] of ends) if ((positions.get(partition) ?? 0) < end) return;
    markCaughtUp();
  };

  let stopped = false;
  const groupId = `facefleet-${options.clientName}-${randomUUID().slice(0, 8)}`;
  const consumer: Consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: options.maxWaitTimeInMs ?? 250,
    allowAutoTopicCreation: false,
    // Restart after a crash (e.g. the broker was away), but never once stopped.
    retry: { restartOnFailure: async () => !stopped },
  });
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await consumer.disconnect().catch(() => undefined);
    await deleteReaderGroup(kafka, groupId);
  };
  const run = () =>
    consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch, heartbeat }) => {
        positions.set(batch.partition, Number(batch.lastOffset()) + 1);
        await options.onBatch({ partition: batch.partition, messages: batch.messages, total: sumOf(positions) });
        check();
        await heartbeat();
      },
    });
  // A crash kafkajs leaves stopped (the broker restarted: "Failed to find group coordinator") would end the reading.
  const restarted = restartAfterCrash(consumer, { stopped: () => stopped, run });
  consumer.on(consumer.events.CRASH, ({ payload }) => void restarted(payload));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: options.fromBeginning });
    await run();
  } catch (error) {
    await stop();
    throw error;
  }
  check();

  return {
    caughtUp,
    async waitCaughtUp(timeoutMs, message) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          caughtUp,
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new FacefleetError(message)), timeoutMs);
          }),
        ]);
      } finally {
        clearTimeout(timer);
      }
    },
    stop,
  };
}

function sumOf(positions: Map<number, number>): number {
  let sum = 0;
  for (const position of positions.values()) sum += position;
  return sum;
}
