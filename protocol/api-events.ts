import { z } from "zod";
import { unknownAlertSchema } from "./api.js";
import { recognitionEventSchema } from "./event.js";

/**
 * The coordinator's event log, corrections and unknown-person alerts (coordinator/api/routes-events.ts,
 * coordinator/corrections/): path parameters, bodies and answers, shared with the dashboard.
 */

/** An event's id in the API: 16 lowercase hex digits (eventId below). */
export const eventIdParamSchema = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, "must be an event id (16 hex digits)") });

/** GET /api/events?camera=&person= (both optional; person = the identity the event named, or "Unknown"). */
export const eventQuerySchema = z.object({
  camera: z.string().min(1).max(128).optional().describe("Only this camera's events."),
  person: z.string().min(1).max(200).optional().describe("Only events that named this person (or Unknown)."),
  limit: z.coerce.number().int().min(1).max(500).optional().describe("At most this many, newest first (default: all kept)."),
});
export type EventQuery = z.output<typeof eventQuerySchema>;

const identityName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^\n\r]+$/, "must be one line")
  .refine((name) => name !== "Unknown", "must be a person's name, not Unknown");

/**
 * POST /api/events/:id/correction. `{identity: "Bob"}`: the face is Bob (added to Bob, created if absent;
 * also a reject of the name the event gave, if any). `{notIdentity: "Dave"}`: the face is not Dave (a reject
 * of Dave only). Both: Bob, and not Dave.
 */
export const correctionBodySchema = z
  .strictObject({ identity: identityName.optional(), notIdentity: identityName.optional() })
  .superRefine((body, ctx) => {
    if (body.identity === undefined && body.notIdentity === undefined)
      ctx.addIssue({ code: "custom", path: ["identity"], message: "give identity (who it is) or notIdentity (who it is not)" });
    else if (body.identity !== undefined && body.identity === body.notIdentity)
      ctx.addIssue({ code: "custom", path: ["notIdentity"], message: "must differ from identity" });
  });
export type CorrectionBody = z.infer<typeof correctionBodySchema>;

/** An event as the API lists it: without its embedding and crop bytes; the crop at `cropUrl`. */
export const eventViewSchema = recognitionEventSchema.omit({ crop: true, embedding: true }).extend({
  id: z.string(),
  /** GET path of the face crop (JPEG); null when the event carried none. */
  cropUrl: z.string().nullable(),
  /** Whether it can be corrected (it carries the face's embedding). */
  correctable: z.boolean(),
  /** The last correction made from it, null before any. */
  correction: z.object({ identity: z.string().optional(), notIdentity: z.string().optional(), time: z.number() }).nullable(),
});
export type EventView = z.infer<typeof eventViewSchema>;

export const eventListSchema = z.object({ events: z.array(eventViewSchema) });

/** What a correction changed: the identities republished on facefleet.gallery and the gallery version the agents will reach. */
export const correctionResultSchema = z.object({
  event: eventViewSchema,
  published: z.array(z.object({ name: z.string(), embeddings: z.number().int(), rejects: z.number().int() })),
  galleryVersion: z.number().int().nonnegative(),
});
export type CorrectionResult = z.infer<typeof correctionResultSchema>;

export const alertCameraParamSchema = z.object({ camera: z.string().min(1).max(128) });
export const alertIdParamSchema = z.object({ id: z.string().regex(/^[0-9a-f]{16}$/, "must be an alert id (16 hex digits)") });

/** PUT /api/alerts/unknown/:camera */
export const unknownAlertSettingBodySchema = z.strictObject({ enabled: z.boolean() });

export const unknownAlertSettingSchema = z.object({ camera: z.string(), enabled: z.boolean() });
export type UnknownAlertSetting = z.infer<typeof unknownAlertSettingSchema>;

/** GET /api/alerts/unknown: every camera known (a setting, or an event seen), and the alerts kept (newest first). */
export const unknownAlertsViewSchema = z.object({
  retentionHours: z.number().positive(),
  cameras: z.array(unknownAlertSettingSchema),
  alerts: z.array(unknownAlertSchema),
});
export type UnknownAlertsView = z.infer<typeof unknownAlertsViewSchema>;

export { eventId } from "./event-id.js";
