/**
 * How the API answers a failure: every error body is `{ error, message }` (protocol/api.ts apiErrorSchema).
 * HttpError is thrown by handlers and hooks; toErrorReply maps anything thrown (HttpError, ControlError,
 * Fastify's own 4xx errors, everything else) to a status code and that body.
 */
import { STATUS_CODES } from "node:http";
import type { ApiError } from "../../protocol/api.js";
import { ControlError } from "../control.js";

export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

export const badRequest = (message: string) => new HttpError(400, "bad-request", message);
export const unauthorized = (message: string) => new HttpError(401, "unauthorized", message);
export const forbidden = (message: string) => new HttpError(403, "forbidden", message);
export const notFound = (message: string) => new HttpError(404, "not-found", message);
export const tooManyRequests = (message: string) => new HttpError(429, "too-many-requests", message);

/** "Payload Too Large" → "payload-too-large"; the error name of a 4xx Fastify raised itself. */
function codeOf(status: number): string {
  return (STATUS_CODES[status] ?? "error").toLowerCase().replace(/[^a-z0-9]+/g, "-");
}

const MAX_MESSAGE_CHARS = 300;

/** One line: the first line of a message, at most 300 characters, never empty. */
export function oneLine(text: string): string {
  const line = text.split(/\r?\n/, 1)[0]?.trim() ?? "";
  if (line.length === 0) return "internal error";
  return line.length > MAX_MESSAGE_CHARS ? `${line.slice(0, MAX_MESSAGE_CHARS - 1)}…` : line;
}

export type ErrorReply = { status: number; body: ApiError };

export function toErrorReply(error: unknown): ErrorReply {
  if (error instanceof HttpError) return { status: error.statusCode, body: { error: error.code, message: error.message } };
  if (error instanceof ControlError) {
    const status = error.kind === "not-found" ? 404 : 409;
    return { status, body: { error: error.kind, message: error.message } };
  }
  // Fastify's own client errors (body too large, unsupported media type...) carry a 4xx statusCode.
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  if (typeof status === "number" && status >= 400 && status < 500) {
    const message = error instanceof Error ? oneLine(error.message) : codeOf(status);
    return { status, body: { error: codeOf(status), message } };
  }
  const message = error instanceof Error ? oneLine(error.message) : oneLine(String(error));
  return { status: 500, body: { error: "internal", message } };
}
