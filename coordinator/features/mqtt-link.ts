/**
 * The coordinator's MQTT client: agents' status and health onto the bus, the retained plan, recognition events
 * republished per camera (without embeddings), and commands to agents.
 */
import type { CommandAck } from "../../protocol/command.js";
import { mqttTopics } from "../../protocol/mqtt-topics.js";
import type { PartitionPlan } from "../../protocol/plan.js";
import { withoutEmbedding } from "../corrections/corrections.js";
import type { Feature, FeatureContext } from "../feature.js";
import { CoordinatorLink } from "../mqtt/coordinator-link.js";
import type { MqttBrokerFeature } from "./mqtt-broker.js";

export class MqttLinkFeature implements Feature {
  readonly name = "mqtt-link";
  private link: CoordinatorLink | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly broker: MqttBrokerFeature) {}

  async start({ bus, log }: FeatureContext): Promise<void> {
    this.link = await CoordinatorLink.connect({
      ...this.broker.target,
      log,
      onStatus: (agentId, payload) => bus.emit("agentStatus", { agentId, payload }),
      onHealth: (health) => bus.emit("agentHealth", health),
    });
    const link = this.link;
    this.unsubscribe = bus.on("recognitionEvent", (event) => {
      void link.publish(mqttTopics.events(event.camera), JSON.stringify(withoutEmbedding(event))).catch(() => undefined);
    });
  }

  /** The retained copy of a plan; nothing before the link is connected (Kafka's copy is what agents follow). */
  async publishPlan(plan: PartitionPlan): Promise<void> {
    await this.link?.publishPlan(plan);
  }

  publish(topic: string, payload: string, retain?: boolean): Promise<void> {
    if (!this.link) return Promise.reject(new Error("mqtt: not connected"));
    return this.link.publish(topic, payload, retain);
  }

  /** Sends a command to an agent; null when it did not answer in time. */
  command(agent: string, command: "drain" | "undrain", timeoutMs: number): Promise<CommandAck | null> {
    if (!this.link) return Promise.resolve(null);
    return this.link.command(agent, command, timeoutMs);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.link?.close();
  }
}
