import { z } from "zod";

/**
 * The coordinator's audit log (coordinator/audit/, GET /api/audit): who enrolled, corrected, named, dismissed and
 * deleted what, and when. An entry names people, events and clusters by name or id and counts faces; it never holds
 * a crop or an embedding.
 */
export const auditActions = [
  "person.create",
  "person.enroll",
  "person.delete",
  "person.forget",
  "event.correct",
  "cluster.name",
  "cluster.dismiss",
] as const;
export const auditActionSchema = z.enum(auditActions);
export type AuditAction = z.infer<typeof auditActionSchema>;

export const auditEntrySchema = z.object({
  /** When it was done (the coordinator's clock, epoch ms). */
  time: z.number().int().nonnegative(),
  /** Who: `api-token` (the bearer token or a `?token=`), or `session <8 hex>` (a dashboard login; the hex is a digest of the session, not its secret). */
  actor: z.string().min(1).max(200),
  action: auditActionSchema,
  /** The person's name, the event's or the cluster's id. */
  subject: z.string().min(1).max(200),
  /** What changed: counts, the name an event or cluster was given, the gallery version. */
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).default({}),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
/** What a route gives for its entry (the actor and the time are added where it is written). */
export type AuditRecord = Omit<AuditEntry, "time" | "actor" | "details"> & { details?: AuditEntry["details"] };

/** GET /api/audit?limit=&action=&subject= */
export const auditQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(5000).optional(),
  action: auditActionSchema.optional(),
  subject: z.string().min(1).max(200).optional(),
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export const auditListSchema = z.object({
  /** Newest first. */
  entries: z.array(auditEntrySchema),
  /** Entries in the log (all of them, before the filter and the limit). */
  total: z.number().int().nonnegative(),
});
export type AuditList = z.infer<typeof auditListSchema>;
