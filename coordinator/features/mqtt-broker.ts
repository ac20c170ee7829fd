/** The MQTT broker the fleet reports to: embedded in the coordinator (default) or an external one by URL. */
import type { Feature, FeatureContext } from "../feature.js";
import { startEmbeddedBroker } from "../mqtt/embedded-broker.js";

export type MqttTarget = { url: string; username?: string; password?: string; caFile?: string };

export class MqttBrokerFeature implements Feature {
  readonly name = "mqtt-broker";
  private close: (() => Promise<unknown>) | undefined;
  private current: MqttTarget | undefined;

  /** Where clients connect; set once started. */
  get target(): MqttTarget {
    if (!this.current) throw new Error("the MQTT broker is not started");
    return this.current;
  }

  async start({ config, log }: FeatureContext): Promise<void> {
    if ("embedded" in config.mqtt) {
      const broker = await startEmbeddedBroker({
        stateDir: config.stateDir,
        ...config.mqtt.embedded,
        log: (line) => log(`mqtt: ${line}`),
      });
      this.close = () => broker.close();
      this.current = { url: broker.url, ...broker.coordinator };
    } else {
      this.current = { ...config.mqtt.external };
    }
  }

  async stop(): Promise<void> {
    await this.close?.();
  }
}
