import { z } from "zod";
import { FacefleetError } from "../../core/errors.js";
import { formatZodIssue } from "../../core/format-issue.js";

/**
 * The coordinator's embedded MQTT broker (`mqtt.embedded` of the coordinator config). Every field
 * has a default; without a password one is generated on first run and kept in `stateDir`.
 */
export const embeddedBrokerConfigSchema = z.strictObject({
  /** Interface to listen on; 0.0.0.0 to let agents on other machines in. */
  host: z.string().min(1).default("127.0.0.1"),
  /** 0 picks a free port (tests). */
  port: z.number().int().min(0).max(65_535).default(1883),
  username: z.string().min(1).max(128).default("facefleet"),
  /** Absent: generated on first run, stored in `<stateDir>/mqtt-credentials.json` (mode 600), printed once. */
  password: z.string().min(8, "must be at least 8 characters").max(256).optional(),
  /**
   * What the shared username/password above may do (agents had only this one account before per-agent credentials):
   * `agent` (default) logs in with the rights of the agent its client id names (`facefleet-agent-<id>`: its own
   * topics, the plan, live-view; no events, no other agent's health or commands); `full` everything (Home Assistant,
   * tools); `off` refused: only per-agent credentials (`facefleet agent-credentials add`) log in.
   */
  sharedCredential: z.enum(["agent", "full", "off"]).default("agent"),
  /** MQTT over TLS (mqtts://) when both files are given. */
  tls: z.strictObject({ cert: z.string().min(1), key: z.string().min(1), ca: z.string().min(1).optional() }).optional(),
  /** Where the generated credentials and the retained messages (`mqtt-retained.json`) live. */
  stateDir: z.string().min(1).default(".facefleet/coordinator"),
});

export type EmbeddedBrokerConfig = z.output<typeof embeddedBrokerConfigSchema>;
export type EmbeddedBrokerConfigInput = z.input<typeof embeddedBrokerConfigSchema>;

/** Validates the broker config; the error is one line naming the field (`mqtt.port: …`). */
export function parseEmbeddedBrokerConfig(json: unknown, origin = "mqtt"): EmbeddedBrokerConfig {
  const parsed = embeddedBrokerConfigSchema.safeParse(json ?? {});
  if (!parsed.success) throw new FacefleetError(`${origin}.${formatZodIssue(parsed.error)}`);
  return parsed.data;
}
