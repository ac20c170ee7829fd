/**
 * The coordinator's MQTT client (to its embedded broker or an external one): takes every agent's
 * status and health, publishes the plan retained, sends commands and waits for their acks.
 * Payloads are validated with protocol/ schemas; an invalid one (not JSON, not the schema, a status other
 * than online/offline, larger than MAX_PAYLOAD_BYTES) is skipped and logged by InvalidPayloadLog (once per
 * agent and problem, at most 10 lines per 10 s, the rest counted).
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { endMqttClient } from "../../agent/health/end-mqtt-client.js";
import { FacefleetError } from "../../core/errors.js";
import { formatZodIssue } from "../../core/format-issue.js";
import { redactUrl, redactUrlIn } from "../../core/redact-url.js";
import {
  type AgentCommand,
  agentCommandSchema,
  COMMAND_SCHEMA_VERSION,
  type CommandAck,
  commandAckSchema,
} from "../../protocol/command.js";
import { type AgentHealth, agentHealthSchema } from "../../protocol/health.js";
import { agentIdOfTopic, mqttTopics } from "../../protocol/mqtt-topics.js";
import type { PartitionPlan } from "../../protocol/plan.js";
import { InvalidPayloadLog } from "./invalid-payload-log.js";

/** Larger payloads on the topics the coordinator reads are skipped unparsed (a health report is a few KB). */
export const MAX_PAYLOAD_BYTES = 256 * 1024;

export type CoordinatorLinkOptions = {
  url: string;
  username?: string;
  password?: string;
  caFile?: string;
  log: (line: string) => void;
  onStatus: (agentId: string, payload: string) => void;
  onHealth: (health: AgentHealth) => void;
  /** How long to wait for the first connection before failing the start. */
  connectTimeoutMs?: number;
};

export class CoordinatorLink {
  /** Commands waiting for their ack: called with the ack, or null (timeout, send failed, link closed). */
  private readonly pending = new Map<string, (ack: CommandAck | null) => void>();
  /** Running PUBACK and ack timeouts, with what each does when it fires (close() fires them all at once). */
  private readonly ackTimers = new Map<NodeJS.Timeout, () => void>();
  /** Payloads skipped as invalid, and their rate-limited log. */
  readonly invalid: InvalidPayloadLog;
  private lastError = "";
  private closed = false;

  private constructor(
    readonly client: MqttClient,
    private readonly options: CoordinatorLinkOptions,
  ) {
    this.invalid = new InvalidPayloadLog(options.log);
    client.on("message", (topic, payload) => this.route(topic, payload));
  }

  static async connect(options: CoordinatorLinkOptions): Promise<CoordinatorLink> {
    let ca: Buffer | undefined;
    if (options.caFile) {
      try {
        ca = readFileSync(options.caFile);
      } catch (error) {
        throw new FacefleetError(`mqtt.external.caFile: cannot read ${options.caFile}: ${(error as NodeJS.ErrnoException).code}`);
      }
    }
    const clientOptions: IClientOptions = {
      clientId: `facefleet-coordinator-${randomUUID().slice(0, 8)}`,
      username: options.username,
      password: options.password,
      keepalive: 10,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      reconnectOnConnackError: true,
      clean: true,
      ...(ca ? { ca } : {}),
    };
    const client = mqtt.connect(options.url, clientOptions);
    const link = new CoordinatorLink(client, options);
    const timeoutMs = options.connectTimeoutMs ?? 10_000;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        client.end(true);
        reject(
          new FacefleetError(
            `mqtt: cannot connect to ${redactUrl(options.url)} within ${timeoutMs} ms: ${redactUrlIn(link.lastError || "no answer", options.url)}`,
          ),
        );
      }, timeoutMs);
      client.once("connect", () => {
        clearTimeout(timer);
        resolve();
      });
      client.on("error", (error) => {
        link.lastError = error.message;
      });
    });
    client.on("connect", () => options.log(`mqtt: connected to ${redactUrl(options.url)} again`));
    client.on("offline", () => options.log(`mqtt: ${redactUrl(options.url)} unreachable, reconnecting`));
    await client.subscribeAsync([mqttTopics.allStatus, mqttTopics.allHealth, mqttTopics.allAcks], { qos: 1 });
    options.log(`mqtt: connected to ${redactUrl(options.url)}`);
    return link;
  }

  private route(topic: string, payload: Buffer): void {
    const agentId = agentIdOfTopic(topic);
    if (agentId === undefined) return;
    const what = topic === mqttTopics.status(agentId) ? "status" : topic === mqttTopics.health(agentId) ? "health" : "cmd/ack";
    if (payload.length > MAX_PAYLOAD_BYTES) {
      this.reportInvalid(agentId, what, `payload of ${payload.length} bytes, more than ${MAX_PAYLOAD_BYTES}`);
      return;
    }
    if (topic === mqttTopics.status(agentId)) {
      if (payload.length === 0) return; // a retained status cleared
      const status = payload.toString();
      if (status === "online" || status === "offline") this.options.onStatus(agentId, status);
      else this.reportInvalid(agentId, "status", "not online or offline");
      return;
    }
    const json = parseJson(payload);
    if (topic === mqttTopics.health(agentId)) {
      const parsed = agentHealthSchema.safeParse(json);
      if (!parsed.success) this.reportInvalid(agentId, "health", formatZodIssue(parsed.error));
      else if (parsed.data.agentId !== agentId)
        this.reportInvalid(agentId, "health", `agentId: ${parsed.data.agentId} on ${agentId}'s topic`);
      else this.options.onHealth(parsed.data);
      return;
    }
    if (topic === mqttTopics.commandAck(agentId)) {
      const parsed = commandAckSchema.safeParse(json);
      if (!parsed.success) this.reportInvalid(agentId, "cmd/ack", formatZodIssue(parsed.error));
      else this.pending.get(parsed.data.id)?.(parsed.data);
    }
  }

  private reportInvalid(agentId: string, what: string, problem: string): void {
    this.invalid.note(agentId, what, problem);
  }

  /** The plan, retained, QoS 1 (agents and dashboards that connect later get it at once). */
  publishPlan(plan: PartitionPlan): Promise<void> {
    return this.publish(mqttTopics.plan, JSON.stringify(plan), true);
  }

  async publish(topic: string, payload: string, retain = false): Promise<void> {
    await this.send(topic, payload, retain);
  }

  /**
   * QoS 1: resolves on the broker's PUBACK, rejects after `ackTimeoutMs` without one. While the broker is
   * unreachable a PUBACK never comes (mqtt.js keeps the message and sends it after a reconnect): a caller
   * must not wait for it forever.
   */
  private send(topic: string, payload: string, retain: boolean, ackTimeoutMs = 5000): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = this.timer(ackTimeoutMs, () =>
        reject(new Error(`no PUBACK for ${topic} within ${ackTimeoutMs} ms (broker unreachable?)`)),
      );
      this.client.publish(topic, payload, { qos: 1, retain }, (error) => {
        this.clearTimer(timer);
        if (error) reject(error);
        else resolve();
      });
    });
  }

  /** Sends a command; resolves with the agent's ack, or null when none came within the timeout (or it could not be sent). */
  async command(agentId: string, command: AgentCommand["command"], timeoutMs: number): Promise<CommandAck | null> {
    if (this.closed) return null;
    const message: AgentCommand = agentCommandSchema.parse({
      schemaVersion: COMMAND_SCHEMA_VERSION,
      id: randomUUID(),
      command,
      issuedAt: Date.now(),
    });
    const answered = new Promise<CommandAck | null>((resolve) => {
      const timer = this.timer(timeoutMs, () => answer(null));
      const answer = (ack: CommandAck | null) => {
        this.clearTimer(timer);
        this.pending.delete(message.id);
        resolve(ack);
      };
      this.pending.set(message.id, answer);
    });
    // The ack is what counts: a command whose PUBACK is late still gets its answer (or null) by the timeout;
    // one that cannot be sent at all (the client is ending) is answered null at once.
    this.send(mqttTopics.command(agentId), JSON.stringify(message), false, timeoutMs).catch((error: Error) => {
      if (this.closed) return;
      this.options.log(`mqtt: command ${command} to ${agentId}: ${error.message}`);
      this.pending.get(message.id)?.(null);
    });
    return answered;
  }

  /** A graceful end (in-flight publishes acknowledged) for at most `timeoutMs`, then the socket is closed. */
  async close(timeoutMs = 2000): Promise<void> {
    this.closed = true;
    // Nothing waits past the close: unanswered commands get null, unacknowledged publishes reject.
    for (const [timer, fire] of [...this.ackTimers]) {
      this.clearTimer(timer);
      fire();
    }
    await endMqttClient(this.client, timeoutMs);
  }

  /** A timeout that never keeps the process alive; close() fires it early. */
  private timer(ms: number, fire: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.ackTimers.delete(timer);
      fire();
    }, ms).unref();
    this.ackTimers.set(timer, fire);
    return timer;
  }

  private clearTimer(timer: NodeJS.Timeout): void {
    clearTimeout(timer);
    this.ackTimers.delete(timer);
  }
}

function parseJson(payload: Buffer): unknown {
  try {
    return JSON.parse(payload.toString());
  } catch {
    return undefined;
  }
}
