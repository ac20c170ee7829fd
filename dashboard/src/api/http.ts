import type { ApiError } from "../../../protocol/api.js";

/** A non-2xx answer of the coordinator's API, with its `{error, message}` body when it sent one. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
    this.name = "HttpError";
  }
}

type UnauthorizedListener = () => void;
const unauthorizedListeners = new Set<UnauthorizedListener>();

/** Called on every 401 from the API: the session is gone, the app shows the login page. */
export function onUnauthorized(listener: UnauthorizedListener): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

function isApiError(body: unknown): body is ApiError {
  return typeof body === "object" && body !== null && typeof (body as ApiError).message === "string";
}

/**
 * fetch() against the coordinator, same origin, session cookie included. Resolves with the parsed
 * JSON body (undefined for an empty one); rejects with HttpError for a non-2xx status.
 */
export async function request<T>(method: string, path: string, body?: unknown, options: { quiet401?: boolean } = {}): Promise<T> {
  const init: RequestInit = { method, credentials: "same-origin", headers: { accept: "application/json" } };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers = { accept: "application/json", "content-type": "application/json" };
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let parsed: unknown;
  if (text !== "") {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
  }
  if (!response.ok) {
    if (response.status === 401 && !options.quiet401) for (const listener of unauthorizedListeners) listener();
    if (isApiError(parsed)) throw new HttpError(response.status, parsed.error, parsed.message);
    throw new HttpError(response.status, `http_${response.status}`, `${response.status} ${response.statusText || "request failed"}`);
  }
  return parsed as T;
}

/** The text an operator should see for a failed request. */
export function describeError(error: unknown): string {
  if (error instanceof HttpError) return error.message;
  if (error instanceof TypeError) return "The coordinator cannot be reached.";
  return error instanceof Error ? error.message : String(error);
}
