import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { FacefleetError } from "../../core/errors.js";
import { redactUrl, redactUrlIn } from "../../core/redact-url.js";
import { mqttTopics } from "../../protocol/mqtt-topics.js";
import { endMqttClient } from "./end-mqtt-client.js";
import type { AgentMqttSettings } from "./mqtt-settings.js";

/** The CA certificate of `mqtt.caFile` (a one-line error naming the field when it cannot be read). */
export function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    throw new FacefleetError(`mqtt.caFile: cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
}

/**
 * The agent's one MQTT connection: authenticated, last will `offline` retained on its status topic,
 * `online` retained on every (re)connect, reconnecting on its own. Health reports and commands use
 * its client.
 */
export class AgentMqttLink {
  readonly client: MqttClient;
  /** Resolves on the first successful connect (never rejects: the agent runs without the broker). */
  readonly connected: Promise<void>;
  private lastError = "";
  private ended = false;

  constructor(
    readonly agentId: string,
    readonly settings: AgentMqttSettings,
    private readonly log: (line: string) => void,
  ) {
    const statusTopic = mqttTopics.status(agentId);
    const options: IClientOptions = {
      clientId: `facefleet-agent-${agentId}`,
      username: settings.username,
      password: settings.password,
      keepalive: settings.keepaliveS,
      reconnectPeriod: settings.reconnectMs,
      connectTimeout: 10_000,
      // A wrong password is an operator's mistake to fix in the broker or config: keep trying, log once.
      reconnectOnConnackError: true,
      clean: true,
      will: { topic: statusTopic, payload: Buffer.from("offline"), qos: 1, retain: true },
      ...(settings.caFile ? { ca: readCa(settings.caFile) } : {}),
    };
    this.client = mqtt.connect(settings.url, options);
    let firstConnect: () => void = () => {};
    this.connected = new Promise<void>((resolve) => {
      firstConnect = resolve;
    });
    this.client.on("connect", () => {
      if (this.lastError) log(`mqtt: connected to ${redactUrl(settings.url)} again`);
      else log(`mqtt: connected to ${redactUrl(settings.url)}`);
      this.lastError = "";
      this.client.publish(statusTopic, "online", { qos: 1, retain: true }, (error) => {
        if (error && !this.ended) log(`mqtt: cannot publish online: ${error.message}`);
      });
      firstConnect();
    });
    this.client.on("error", (error) => this.noteError(error.message));
    this.client.on("offline", () => this.noteError("broker unreachable"));
  }

  private noteError(message: string): void {
    if (this.ended || message === this.lastError) return;
    this.lastError = message;
    this.log(
      `mqtt: ${redactUrl(this.settings.url)}: ${redactUrlIn(message, this.settings.url)} (retrying every ${this.settings.reconnectMs} ms)`,
    );
  }

  get isConnected(): boolean {
    return this.client.connected;
  }

  /**
   * Graceful: `offline` retained on status (when connected), then a clean disconnect (no last will); each step
   * bounded by `timeoutMs`. When the broker does not answer, the socket is closed and its last will says offline.
   */
  async close(timeoutMs = 3000): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    let answered = false;
    if (this.client.connected) {
      const published = this.client
        .publishAsync(mqttTopics.status(this.agentId), "offline", { qos: 1, retain: true })
        .then(() => true)
        .catch(() => false);
      answered = await Promise.race([published, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), timeoutMs).unref())]);
    }
    if (answered) {
      await endMqttClient(this.client, timeoutMs);
      return;
    }
    // Not connected, or the broker did not acknowledge: a clean end would wait for it too. A forced end closes the
    // socket at once (it answers at once as well when someone else already ended the client).
    if (!this.client.disconnected) {
      const forced = this.client.endAsync(true).catch(() => undefined);
      await Promise.race([forced, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
    }
  }
}
