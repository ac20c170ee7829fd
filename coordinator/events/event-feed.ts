/**
 * Recognition events for the coordinator's listeners (the API stream, corrections, Home Assistant, the
 * MQTT bridge): follows facefleet.events from its end with a consumer group of its own (kafka/topic-reader.ts).
 * Invalid records are skipped with one log line each.
 */
import type { Kafka, KafkaMessage } from "kafkajs";
import { formatZodIssue } from "../../core/format-issue.js";
import { startTopicReader } from "../../kafka/topic-reader.js";
import { type RecognitionEvent, recognitionEventSchema } from "../../protocol/event.js";

export type EventFeed = { stop(): Promise<void> };

export async function followEvents(options: {
  kafka: Kafka;
  topic: string;
  onEvent: (event: RecognitionEvent) => void;
  log: (line: string) => void;
}): Promise<EventFeed> {
  const take = (message: KafkaMessage, partition: number) => {
    const where = `${options.topic}[${partition}]@${message.offset}`;
    let json: unknown;
    try {
      json = JSON.parse(String(message.value ?? ""));
    } catch {
      options.log(`events: ${where} is not JSON, skipped`);
      return;
    }
    const parsed = recognitionEventSchema.safeParse(json);
    if (!parsed.success) {
      options.log(`events: ${where} skipped: ${formatZodIssue(parsed.error)}`);
      return;
    }
    options.onEvent(parsed.data);
  };
  const reader = await startTopicReader({
    kafka: options.kafka,
    topic: options.topic,
    clientName: "coordinator-events",
    fromBeginning: false,
    onBatch: ({ partition, messages }) => {
      for (const message of messages) take(message, partition);
    },
  });
  return { stop: reader.stop };
}
