import { z } from "zod";
import { formatZodIssue } from "../core/format-issue.js";

export const LIVE_VIEW_SCHEMA_VERSION = 1;

/** A camera id as in the frame headers (protocol/frame-headers.ts). */
const cameraId = z.string().min(1).max(128);

/**
 * Which cameras someone watches live (the coordinator's dashboard viewers), published retained on MQTT
 * `facefleet/live-view` by the coordinator: on every change, and again every third of `leaseMs` while a
 * camera is watched. An agent annotates a camera's frames (facefleet.annotated) only while it is named here
 * (or `all`), for at most `leaseMs` after it received the message, so a coordinator that died does not leave
 * annotation on. The lease counts on the agent's clock from receipt (edge devices' clocks may be off).
 */
export const liveViewDemandSchema = z.object({
  schemaVersion: z.literal(LIVE_VIEW_SCHEMA_VERSION),
  /** Every camera is watched (the dashboard's grid of all cameras). */
  all: z.boolean(),
  /** Cameras watched one by one (besides `all`). */
  cameras: z.array(cameraId).max(4096),
  /** How long an agent honours this message after receiving it. */
  leaseMs: z.number().int().min(500).max(600_000),
  /** When the coordinator made it (epoch ms, its own clock; for logs). */
  issuedAt: z.number().int().positive(),
});

export type LiveViewDemand = z.infer<typeof liveViewDemandSchema>;

/** An MQTT payload → LiveViewDemand; the error is one line naming the field (`leaseMs: …`, `(root): not JSON`). */
export function parseLiveViewDemand(payload: Buffer | string): LiveViewDemand {
  let json: unknown;
  try {
    json = JSON.parse(payload.toString());
  } catch {
    throw new Error("(root): not JSON");
  }
  const parsed = liveViewDemandSchema.safeParse(json);
  if (!parsed.success) throw new Error(formatZodIssue(parsed.error));
  return parsed.data;
}
