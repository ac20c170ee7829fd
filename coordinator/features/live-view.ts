/**
 * The live view: the newest annotated frame of each camera (facefleet.annotated), served as JPEG, with
 * `annotatedFrame` on the bus; and the demand for it. The cameras the dashboard's viewers watch
 * (coordinator/media/live-viewers.ts) are published retained on MQTT `facefleet/live-view`
 * (protocol/live-view.ts) at once on every change and again every third of `liveView.leaseMs` while something
 * is watched, so agents annotate exactly those cameras and stop by themselves when the coordinator is gone.
 * On stop, "nothing watched" is published.
 */
import type { Kafka } from "kafkajs";
import { LIVE_VIEW_SCHEMA_VERSION, type LiveViewDemand } from "../../protocol/live-view.js";
import { mqttTopics } from "../../protocol/mqtt-topics.js";
import type { ApiRoute } from "../api/route.js";
import { cameraRoutes } from "../api/routes-cameras.js";
import type { LiveViewer } from "../control.js";
import type { Feature, FeatureContext } from "../feature.js";
import { AnnotatedFeed } from "../media/annotated-feed.js";
import type { CameraMedia } from "../media/camera-media.js";
import { LiveViewers, type WatchedCameras } from "../media/live-viewers.js";
import type { MqttLinkFeature } from "./mqtt-link.js";

export class LiveViewFeature implements Feature {
  readonly name = "live-view";
  private feed: AnnotatedFeed | undefined;
  private readonly viewers = new LiveViewers((watched) => void this.publish(watched));
  private refresh: NodeJS.Timeout | undefined;
  private log: (line: string) => void = () => {};
  private leaseMs = 0;

  constructor(
    private readonly kafka: Kafka,
    private readonly link: MqttLinkFeature,
  ) {}

  async start(context: FeatureContext): Promise<void> {
    const { bus, log, config } = context;
    this.log = log;
    this.leaseMs = config.liveView.leaseMs;
    this.feed = await AnnotatedFeed.start({
      kafka: this.kafka,
      log,
      onFrame: (camera, time) => bus.emit("annotatedFrame", { camera, time }),
    });
    // What an earlier coordinator left retained is replaced at once (not waited for: the broker may be away).
    void this.publish(this.viewers.watched());
    this.refresh = setInterval(
      () => {
        const watched = this.viewers.watched();
        if (watched.all || watched.cameras.length > 0) void this.publish(watched);
      },
      Math.floor(config.liveView.leaseMs / 3),
    );
    this.refresh.unref();
  }

  /** A viewer for a stream connection (CoordinatorControl.viewer). */
  viewer(): LiveViewer {
    return this.viewers.join();
  }

  /** The newest annotated frame of each camera (what GET /api/cameras/:camera/latest.jpg serves). */
  media(): CameraMedia {
    if (!this.feed) throw new Error("live-view: not started");
    return this.feed;
  }

  routes(): ApiRoute[] {
    return cameraRoutes(this.media());
  }

  async stop(): Promise<void> {
    clearInterval(this.refresh);
    await this.publish({ all: false, cameras: [] });
    this.leaseMs = 0; // viewers leaving after this publish nothing
    await this.feed?.stop();
  }

  private async publish(watched: WatchedCameras): Promise<void> {
    if (this.leaseMs === 0) return; // not started, or stopped
    const demand: LiveViewDemand = {
      schemaVersion: LIVE_VIEW_SCHEMA_VERSION,
      all: watched.all,
      cameras: watched.cameras,
      leaseMs: this.leaseMs,
      issuedAt: Date.now(),
    };
    await this.link.publish(mqttTopics.liveView, JSON.stringify(demand), true).catch((error: Error) => {
      this.log(`mqtt: cannot publish the live view's cameras: ${error.message}`);
    });
  }
}
