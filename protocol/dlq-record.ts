import { z } from "zod";

/** facefleet.dlq: the original bytes as the value, this as headers, so a frame can be inspected or replayed. */
export const dlqHeadersSchema = z.object({
  reason: z.string().min(1),
  stage: z.enum(["headers", "decode", "size", "process"]),
  "source-topic": z.string(),
  "source-partition": z.coerce.number().int().nonnegative(),
  "source-offset": z.string().regex(/^\d+$/),
  agent: z.string().min(1),
  time: z.coerce.number().int().positive(),
});

export type DlqHeaders = z.infer<typeof dlqHeadersSchema>;
