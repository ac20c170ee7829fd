import { z } from "zod";

export const COMMAND_SCHEMA_VERSION = 1;

/** `facefleet/agents/<id>/cmd`: what the coordinator asks of one agent. */
export const agentCommandSchema = z.object({
  schemaVersion: z.literal(COMMAND_SCHEMA_VERSION),
  id: z.string().min(1).max(64),
  command: z.enum(["drain", "undrain", "reload-gallery", "restart-capture"]),
  issuedAt: z.number().int().positive(),
});

/** `facefleet/agents/<id>/cmd/ack`: the agent's answer to a command, by its id. */
export const commandAckSchema = z.object({
  schemaVersion: z.literal(COMMAND_SCHEMA_VERSION),
  id: z.string().min(1),
  agentId: z.string().min(1),
  ok: z.boolean(),
  message: z.string(),
  time: z.number().int().positive(),
});

export type AgentCommand = z.infer<typeof agentCommandSchema>;
export type CommandAck = z.infer<typeof commandAckSchema>;
