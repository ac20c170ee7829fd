import { z } from "zod";
import { recognitionEventSchema } from "./event.js";
import { agentHealthSchema } from "./health.js";
import { partitionPlanSchema } from "./plan.js";

/**
 * The coordinator's REST + WebSocket API (coordinator/api/): request bodies, path parameters and
 * response shapes. The dashboard imports these types; the server validates requests with them and
 * builds its OpenAPI document from them (z.toJSONSchema).
 */

export const agentIdParamSchema = z.object({ id: z.string().min(1).max(128) });
export const partitionParamSchema = z.object({
  partition: z.string().regex(/^\d+$/, "must be a partition number").transform(Number),
});

/** POST /api/partitions/:partition/move and PUT /api/partitions/:partition/pin */
export const targetAgentBodySchema = z.object({ agent: z.string().min(1).max(128) }).strict();

/** POST /api/login: the coordinator's token, or the dashboard password from config. */
export const loginBodySchema = z.union([
  z.object({ token: z.string().min(1) }).strict(),
  z.object({ password: z.string().min(1) }).strict(),
]);

/** What a request's credentials may do: `viewer` reads, `operator` also changes the fleet and the gallery. */
export const apiRoleSchema = z.enum(["viewer", "operator"]);
export type ApiRoleName = z.infer<typeof apiRoleSchema>;
/** GET /api/session: the role of the credentials the request carries. */
export const sessionViewSchema = z.object({ role: apiRoleSchema });
export type SessionView = z.infer<typeof sessionViewSchema>;
/** POST /api/login's answer: the new session's role. */
export const loginResultSchema = z.object({ ok: z.literal(true), role: apiRoleSchema });
export type LoginResult = z.infer<typeof loginResultSchema>;

/** One agent as the coordinator sees it. */
export const agentViewSchema = z.object({
  id: z.string(),
  /** Live: status `online` and a health report within the missed-health timeout. */
  online: z.boolean(),
  /** Last MQTT status payload ("online" / "offline"), null before any. */
  status: z.enum(["online", "offline"]).nullable(),
  /** Epoch ms of the last status or health message. */
  lastSeen: z.number().nullable(),
  /** Operator drain (coordinator state, also sent to the agent as a command). */
  drained: z.boolean(),
  /** Partitions the current plan gives it. */
  partitions: z.array(z.number().int().nonnegative()),
  /** Latest health report, null before the first. */
  health: agentHealthSchema.nullable(),
});
export type AgentView = z.infer<typeof agentViewSchema>;

/** Measured load of one partition of facefleet.frames. */
export const partitionLoadViewSchema = z.object({
  partition: z.number().int().nonnegative(),
  /** Frames per second produced into it (from the topic's end offsets over time). */
  fps: z.number().nonnegative(),
  /** Frames not yet committed by the worker group; null when unknown. */
  lag: z.number().int().nonnegative().nullable(),
  /** Processing cost per frame, ms (the owner's reported total latency); null when unknown. */
  costMsPerFrame: z.number().nonnegative().nullable(),
});
export type PartitionLoadView = z.infer<typeof partitionLoadViewSchema>;

export const planViewSchema = z.object({
  plan: partitionPlanSchema.nullable(),
  loads: z.array(partitionLoadViewSchema),
});
export type PlanView = z.infer<typeof planViewSchema>;

export const agentListSchema = z.object({ agents: z.array(agentViewSchema) });

/** The answer of move/pin/unpin/drain/undrain: the plan that carries the change (already published). */
export const planChangeResultSchema = z.object({
  plan: partitionPlanSchema,
  /** For drain/undrain: the agent's acknowledgement of the command, null when it did not answer in time. */
  ack: z.object({ ok: z.boolean(), message: z.string() }).nullable().optional(),
});
export type PlanChangeResult = z.infer<typeof planChangeResultSchema>;

export const apiErrorSchema = z.object({ error: z.string(), message: z.string() });
export type ApiError = z.infer<typeof apiErrorSchema>;

/** An unknown face seen on a camera with alerts on; kept (with its crop) for the configured retention, then purged. */
export const unknownAlertSchema = z.object({
  id: z.string(),
  camera: z.string(),
  time: z.number(),
  agent: z.string(),
  trackId: z.string(),
  /** GET path of the face crop (JPEG), null when the event carried none. */
  cropUrl: z.string().nullable(),
});
export type UnknownAlert = z.infer<typeof unknownAlertSchema>;

/** Messages on the WebSocket GET /api/stream, server to client. */
export const streamMessageSchema = z.discriminatedUnion("type", [
  /** First message after connecting: everything the dashboard needs to draw. */
  z.object({ type: z.literal("snapshot"), agents: z.array(agentViewSchema), plan: planViewSchema }),
  /** A new plan version was published, or the measured load per partition changed (every load sample). */
  z.object({ type: z.literal("plan"), plan: planViewSchema }),
  /** An agent's view changed (health report, status, drain). */
  z.object({ type: z.literal("agent"), agent: agentViewSchema }),
  /** A recognition event from facefleet.events. */
  z.object({ type: z.literal("event"), event: recognitionEventSchema }),
  /** A new annotated frame of a camera is at GET /api/cameras/:camera/latest.jpg (at most a few per second per camera). */
  z.object({ type: z.literal("frame"), camera: z.string(), time: z.number() }),
  /** The gallery changed (enrollment, deletion, a correction). */
  z.object({ type: z.literal("gallery"), version: z.number().int().nonnegative(), identities: z.number().int().nonnegative() }),
  /** An unknown person on a camera whose unknown-person alerts are on. */
  z.object({ type: z.literal("alert"), alert: unknownAlertSchema }),
]);
export type StreamMessage = z.infer<typeof streamMessageSchema>;

/** What the live view asks for: every camera, or these. */
export const cameraSelectionSchema = z.union([z.literal("all"), z.array(z.string().min(1).max(128)).max(256)]);
export type CameraSelection = z.infer<typeof cameraSelectionSchema>;

/**
 * Messages on the WebSocket GET /api/stream, client to server. `watch`: the cameras this connection shows live
 * (replacing what it said before; `[]` = none). The coordinator has the agents annotate exactly the cameras some
 * connection watches (protocol/live-view.ts); a connection's watch ends when it closes.
 */
export const streamClientMessageSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("watch"), cameras: cameraSelectionSchema }),
]);
export type StreamClientMessage = z.infer<typeof streamClientMessageSchema>;
