/**
 * Who may call the API: the coordinator's token (`Authorization: Bearer <token>`), a session cookie that
 * POST /api/login handed out, or, on the WebSocket only (browsers cannot set headers there), `?token=`.
 * Secrets are compared in constant time; sessions live in memory and end with the process.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyRequest, onRequestHookHandler } from "fastify";
import { unauthorized } from "./errors.js";

export const SESSION_COOKIE = "facefleet_session";
/** A session ends this long after its login. */
export const SESSION_TTL_MS = 12 * 60 * 60 * 1000;
/** At most this many live sessions; a login beyond it ends the oldest. */
const MAX_SESSIONS = 1000;

/** Constant-time equality of two secrets of any length (compares their SHA-256 digests). */
export function secretEquals(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
}

/** The value of one cookie in a Cookie header, undefined when absent. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export type Credentials = { token: string } | { password: string };

export class ApiAuth {
  /** session id → epoch ms it expires; Map keeps login order, so the first key is the oldest. */
  private readonly sessions = new Map<string, number>();

  constructor(
    private readonly token: string,
    private readonly password: string | undefined,
    private readonly now: () => number = Date.now,
  ) {
    if (token.length === 0) throw new Error("the API token must not be empty");
  }

  /** Whether POST /api/login accepts a password (one is configured). */
  get passwordLogin(): boolean {
    return this.password !== undefined && this.password.length > 0;
  }

  /** Checks the credentials; a new session id when they are right, undefined when not. */
  login(credentials: Credentials): string | undefined {
    const ok =
      "token" in credentials
        ? secretEquals(credentials.token, this.token)
        : this.password !== undefined && this.passwordLogin && secretEquals(credentials.password, this.password);
    if (!ok) return undefined;
    this.sweep();
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(id, this.now() + SESSION_TTL_MS);
    return id;
  }

  logout(sessionId: string | undefined): void {
    if (sessionId !== undefined) this.sessions.delete(sessionId);
  }

  hasSession(sessionId: string | undefined): boolean {
    if (sessionId === undefined) return false;
    const expires = this.sessions.get(sessionId);
    if (expires === undefined) return false;
    if (expires <= this.now()) {
      this.sessions.delete(sessionId);
      return false;
    }
    return true;
  }

  /** Throws a 401 HttpError unless the request carries a valid bearer token, session cookie or (allowQueryToken) `?token=`. */
  check(request: FastifyRequest, allowQueryToken: boolean): void {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(.+)$/i.exec(header.trim());
      if (match?.[1] && secretEquals(match[1], this.token)) return;
      throw unauthorized("wrong or malformed Authorization header (expected: Bearer <token>)");
    }
    if (this.hasSession(readCookie(request.headers.cookie, SESSION_COOKIE))) return;
    if (allowQueryToken) {
      const token = (request.query as Record<string, unknown> | undefined)?.token;
      if (typeof token === "string" && secretEquals(token, this.token)) return;
    }
    throw unauthorized(
      allowQueryToken
        ? "missing or wrong credentials: send Authorization: Bearer <token>, log in, or add ?token=<token>"
        : "missing or wrong credentials: send Authorization: Bearer <token> or log in at POST /api/login",
    );
  }

  /** A route-level onRequest hook that refuses unauthenticated requests (before a WebSocket upgrade, too). */
  hook(allowQueryToken = false): onRequestHookHandler {
    return (request, _reply, done) => {
      try {
        this.check(request, allowQueryToken);
        done();
      } catch (error) {
        done(error as Error);
      }
    };
  }

  /** Set-Cookie value for a new session. */
  static sessionCookie(id: string): string {
    return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict`;
  }

  /** Set-Cookie value that removes the session cookie. */
  static clearedCookie(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, expires] of this.sessions) if (expires <= now) this.sessions.delete(id);
  }
}
