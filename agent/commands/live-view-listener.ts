import type { MqttClient } from "mqtt";
import { parseLiveViewDemand } from "../../protocol/live-view.js";
import { mqttTopics } from "../../protocol/mqtt-topics.js";
import type { AnnotationDemand } from "../worker/annotation-demand.js";

/**
 * Follows the coordinator's retained `facefleet/live-view` (protocol/live-view.ts) into the worker's
 * AnnotationDemand: the watched cameras take effect with the next frame processed. An invalid message is
 * logged with the field and ignored (the demand before it runs out with its lease). A line is logged when
 * what is watched changes, and when the lease runs out without a refresh (a coordinator that is gone).
 */
export class LiveViewListener {
  private lastDescribed = "";
  private expiry: NodeJS.Timeout | undefined;
  private readonly onMessage = (topic: string, payload: Buffer) => {
    if (topic === mqttTopics.liveView) this.take(payload);
  };

  constructor(
    private readonly client: MqttClient,
    private readonly demand: AnnotationDemand,
    private readonly log: (line: string) => void,
  ) {}

  /** Subscribes (mqtt.js subscribes again after each reconnect; the retained demand then comes again). */
  start(): void {
    this.client.on("message", this.onMessage);
    this.client.subscribe(mqttTopics.liveView, { qos: 1 }, (error) => {
      if (error) this.log(`mqtt: cannot subscribe to ${mqttTopics.liveView}: ${error.message}`);
    });
  }

  stop(): void {
    this.client.off("message", this.onMessage);
    clearTimeout(this.expiry);
  }

  private take(payload: Buffer): void {
    let demand: ReturnType<typeof parseLiveViewDemand>;
    try {
      demand = parseLiveViewDemand(payload);
    } catch (error) {
      this.log(`live view: ignored an invalid ${mqttTopics.liveView} message: ${(error as Error).message}`);
      return;
    }
    const receivedAt = Date.now();
    this.demand.watch(demand, receivedAt);
    const described = this.demand.describe(receivedAt);
    if (described !== this.lastDescribed) {
      this.lastDescribed = described;
      this.log(`live view: watched ${described} (lease ${demand.leaseMs} ms)`);
    }
    clearTimeout(this.expiry);
    if (!demand.all && demand.cameras.length === 0) return;
    this.expiry = setTimeout(() => {
      this.lastDescribed = "";
      this.log(`live view: the lease ran out without a refresh from the coordinator; annotating no watched camera`);
    }, demand.leaseMs);
    this.expiry.unref();
  }
}
