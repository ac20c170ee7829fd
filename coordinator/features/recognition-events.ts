/** Recognition events from facefleet.events (validated; a bad record is logged and skipped) onto the bus. */
import type { Kafka } from "kafkajs";
import { topics } from "../../protocol/topics.js";
import { type EventFeed, followEvents } from "../events/event-feed.js";
import type { Feature, FeatureContext } from "../feature.js";

export class RecognitionEventsFeature implements Feature {
  readonly name = "recognition-events";
  private feed: EventFeed | undefined;

  constructor(private readonly kafka: Kafka) {}

  async start({ bus, log }: FeatureContext): Promise<void> {
    this.feed = await followEvents({
      kafka: this.kafka,
      topic: topics.events,
      log,
      onEvent: (event) => bus.emit("recognitionEvent", event),
    });
  }

  async stop(): Promise<void> {
    await this.feed?.stop();
  }
}
