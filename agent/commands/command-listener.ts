import type { MqttClient } from "mqtt";
import { formatZodIssue } from "../../core/format-issue.js";
import { type AgentCommand, agentCommandSchema, COMMAND_SCHEMA_VERSION, type CommandAck } from "../../protocol/command.js";
import { mqttTopics } from "../../protocol/mqtt-topics.js";

export type CommandName = AgentCommand["command"];

/**
 * What the agent does for each command; the returned text goes into the ack's message. A missing
 * handler is answered `ok: false` ("not supported"); a handler that throws, `ok: false` with its error.
 */
export type CommandHandlers = Partial<Record<CommandName, (command: AgentCommand) => Promise<string | undefined> | string | undefined>>;

/** The ack of a command payload: validates it, runs the handler, never throws. */
export async function answerCommand(
  agentId: string,
  payload: Buffer | string,
  handlers: CommandHandlers,
  now = Date.now,
): Promise<CommandAck> {
  const ack = (id: string, ok: boolean, message: string): CommandAck => ({
    schemaVersion: COMMAND_SCHEMA_VERSION,
    id,
    agentId,
    ok,
    message,
    time: now(),
  });
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch {
    return ack("unknown", false, "(root): not JSON");
  }
  const rawId = (json as { id?: unknown } | null)?.id;
  const id = typeof rawId === "string" && rawId.length > 0 ? rawId.slice(0, 64) : "unknown";
  const parsed = agentCommandSchema.safeParse(json);
  if (!parsed.success) return ack(id, false, formatZodIssue(parsed.error));
  const command = parsed.data;
  const handler = handlers[command.command];
  if (!handler) return ack(id, false, `${command.command}: not supported by this agent`);
  try {
    const message = await handler(command);
    return ack(id, true, message ?? `${command.command}: done`);
  } catch (error) {
    return ack(id, false, `${command.command}: ${(error as Error).message ?? String(error)}`);
  }
}

/**
 * Takes the coordinator's commands on `facefleet/agents/<id>/cmd` and answers each on `cmd/ack`
 * (QoS 1 both ways). A command id seen again (a QoS 1 redelivery) gets its first answer again
 * without running twice; commands run one at a time, in order.
 */
export class CommandListener {
  private readonly answered = new Map<string, CommandAck>();
  private queue: Promise<void> = Promise.resolve();
  private readonly onMessage = (topic: string, payload: Buffer) => {
    if (topic !== mqttTopics.command(this.agentId)) return;
    this.queue = this.queue.then(() => this.handle(payload));
  };

  constructor(
    private readonly client: MqttClient,
    private readonly agentId: string,
    private readonly handlers: CommandHandlers,
    private readonly log: (line: string) => void,
  ) {}

  /** Subscribes (mqtt.js subscribes again after each reconnect). */
  async start(): Promise<void> {
    this.client.on("message", this.onMessage);
    // Queued until connected; a failure is logged, mqtt.js retries on reconnect.
    this.client.subscribe(mqttTopics.command(this.agentId), { qos: 1 }, (error) => {
      if (error) this.log(`mqtt: cannot subscribe to commands: ${error.message}`);
    });
  }

  async stop(): Promise<void> {
    this.client.off("message", this.onMessage);
    await this.queue;
  }

  private async handle(payload: Buffer): Promise<void> {
    const idOf = (() => {
      try {
        const id = (JSON.parse(payload.toString()) as { id?: unknown })?.id;
        return typeof id === "string" && id.length > 0 ? id : undefined;
      } catch {
        return undefined;
      }
    })();
    let ack = idOf ? this.answered.get(idOf) : undefined;
    if (!ack) {
      ack = await answerCommand(this.agentId, payload, this.handlers);
      this.log(`command ${ack.id}: ${ack.ok ? "ok" : "refused"}: ${ack.message}`);
      if (ack.ok && idOf) {
        this.answered.set(idOf, ack);
        if (this.answered.size > 200) this.answered.delete(this.answered.keys().next().value as string);
      }
    }
    // Not awaited: the broker's PUBACK of an ack caught by a dropped connection never comes (mqtt.js keeps the
    // ack and sends it again after a reconnect), and waiting for it would hold every later command and stop().
    const answered = ack;
    this.client.publish(mqttTopics.commandAck(this.agentId), JSON.stringify(answered), { qos: 1 }, (error) => {
      if (error) this.log(`mqtt: cannot send ack of ${answered.id}: ${error.message}`);
    });
  }
}
