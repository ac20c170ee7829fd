/** Home Assistant: a "last person seen" sensor per camera over MQTT discovery, from recognition events. */
import type { Feature, FeatureContext } from "../feature.js";
import { LastPersonSensors } from "../home-assistant/last-person-sensors.js";
import type { MqttLinkFeature } from "./mqtt-link.js";

export class HomeAssistantFeature implements Feature {
  readonly name = "home-assistant";
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly link: MqttLinkFeature) {}

  async start({ config, bus, log }: FeatureContext): Promise<void> {
    if (!config.homeAssistant.enabled) return;
    const sensors = new LastPersonSensors(
      (topic, payload, retain) => this.link.publish(topic, payload, retain),
      config.homeAssistant.discoveryPrefix,
      log,
    );
    this.unsubscribe = bus.on("recognitionEvent", (event) => void sensors.onEvent(event));
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
  }
}
