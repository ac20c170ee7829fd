import type { z } from "zod";

/** The first problem of a failed validation as one line that names the field: `faces.0.box: expected array`. */
export function formatZodIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return "invalid value";
  const path = issue.path.length > 0 ? issue.path.map(String).join(".") : "(root)";
  return `${path}: ${issue.message}`;
}
