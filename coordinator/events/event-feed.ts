/**
 * Recognition events for the coordinator's listeners (the API stream, Home Assistant, the MQTT
 * bridge): follows facefleet.events from its end with a consumer group of its own (fresh id,
 * deleted on stop). Invalid records are skipped with one log line each.
 */
import { randomUUID } from "node:crypto";
import type { Consumer, Kafka } from "kafkajs";
import { deleteReaderGroup } from "../../kafka/delete-reader-group.js";
import { type RecognitionEvent, recognitionEventSchema } from "../../protocol/event.js";
import { formatZodIssue } from "../../protocol/format-issue.js";

export type EventFeed = { stop(): Promise<void> };

export async function followEvents(options: {
  kafka: Kafka;
  topic: string;
  onEvent: (event: RecognitionEvent) => void;
  log: (line: string) => void;
}): Promise<EventFeed> {
  const groupId = `facefleet-coordinator-events-${randomUUID().slice(0, 8)}`;
  let stopped = false;
  const consumer: Consumer = options.kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1000,
    maxWaitTimeInMs: 250,
    allowAutoTopicCreation: false,
    retry: { restartOnFailure: async () => !stopped },
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [options.topic], fromBeginning: false });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ message, partition }) => {
      let json: unknown;
      try {
        json = JSON.parse(String(message.value ?? ""));
      } catch {
        options.log(`events: ${options.topic}[${partition}]@${message.offset} is not JSON, skipped`);
        return;
      }
      const parsed = recognitionEventSchema.safeParse(json);
      if (!parsed.success) {
        options.log(`events: ${options.topic}[${partition}]@${message.offset} skipped: ${formatZodIssue(parsed.error)}`);
        return;
      }
      options.onEvent(parsed.data);
    },
  });
  return {
    async stop() {
      stopped = true;
      await consumer.disconnect().catch(() => undefined);
      await deleteReaderGroup(options.kafka, groupId);
    },
  };
}
