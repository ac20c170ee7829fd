/** The newest annotated frame of each camera (facefleet.annotated), served as JPEG; `annotatedFrame` on the bus. */
import type { Kafka } from "kafkajs";
import type { ApiRoute } from "../api/route.js";
import { cameraRoutes } from "../api/routes-cameras.js";
import type { Feature, FeatureContext } from "../feature.js";
import { AnnotatedFeed } from "../media/annotated-feed.js";

export class LiveViewFeature implements Feature {
  readonly name = "live-view";
  private feed: AnnotatedFeed | undefined;

  constructor(private readonly kafka: Kafka) {}

  async start({ bus, log }: FeatureContext): Promise<void> {
    this.feed = await AnnotatedFeed.start({
      kafka: this.kafka,
      log,
      onFrame: (camera, time) => bus.emit("annotatedFrame", { camera, time }),
    });
  }

  routes(): ApiRoute[] {
    if (!this.feed) throw new Error("live-view: not started");
    return cameraRoutes(this.feed);
  }

  async stop(): Promise<void> {
    await this.feed?.stop();
  }
}
