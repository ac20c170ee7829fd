/** Request validation with the zod schemas of protocol/api.ts: a failure is a 400 naming the field (formatZodIssue). */
import type { z } from "zod";
import { formatZodIssue } from "../../core/format-issue.js";
import { badRequest } from "./errors.js";

export function parseOr400<S extends z.ZodType>(schema: S, value: unknown): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw badRequest(formatZodIssue(result.error));
  return result.data;
}
