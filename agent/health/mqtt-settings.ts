import { z } from "zod";

/**
 * The agent's optional `mqtt` config section: where it reports health and takes commands.
 * Absent: no MQTT at all (the agent still works on Kafka alone).
 */
export const agentMqttSettingsSchema = z.strictObject({
  /** `mqtt://host:1883` or `mqtts://host:8883` (the coordinator's embedded broker, or Mosquitto). */
  url: z.string().regex(/^(mqtts?|wss?):\/\/[^\s]+$/, "must be mqtt://host:port, mqtts://…, ws:// or wss://"),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  /** A health report this often. */
  healthIntervalMs: z.number().int().min(200).max(600_000).default(5000),
  /** The broker declares the agent dead (last will `offline`) after 1.5 × this without a packet. */
  keepaliveS: z.number().int().min(1).max(600).default(10),
  /** Reconnect attempts this far apart while the broker is away. */
  reconnectMs: z.number().int().min(100).max(300_000).default(2000),
  /** A CA file for mqtts:// with a private certificate authority. */
  caFile: z.string().min(1).optional(),
});

export type AgentMqttSettings = z.output<typeof agentMqttSettingsSchema>;
export type AgentMqttSettingsInput = z.input<typeof agentMqttSettingsSchema>;
