/**
 * Who may call the API: the coordinator's token (`Authorization: Bearer <token>`, an operator's), a named token of
 * `<stateDir>/api-tokens.json` (viewer or operator, revocable, optionally expiring: state/api-tokens.ts), a session
 * cookie that POST /api/login handed out (with the role of what logged in), or, on the WebSocket only (browsers
 * cannot set headers there), `?token=`. Each route declares what it needs (route.ts `access`): a viewer on an
 * operator's route gets 403. Secrets are compared in constant time; sessions live in memory and end with the process.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { FastifyRequest, onRequestHookHandler } from "fastify";
import type { ApiRole, ApiTokenStore } from "../state/api-tokens.js";
import { forbidden, unauthorized } from "./errors.js";

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

/** What a route needs: `public` (no credentials), `viewer` (read), `operator` (change the fleet or the gallery). */
export type RouteAccess = "public" | ApiRole;
/** Who a request is: its role and what it showed (for the 403's message). */
export type ApiIdentity = { role: ApiRole; via: string; tokenId?: string };
type Session = { expires: number; role: ApiRole; tokenId?: string };

const rank: Record<ApiRole, number> = { viewer: 1, operator: 2 };

/** Whether a request forwarded by a TLS-terminating proxy, or a TLS socket, reached the coordinator. */
export function behindTls(request: FastifyRequest): boolean {
  const proto = request.headers["x-forwarded-proto"];
  const first = (Array.isArray(proto) ? proto[0] : proto)?.split(",", 1)[0]?.trim().toLowerCase();
  return first === "https" || request.protocol === "https";
}

export class ApiAuth {
  /** session id → its expiry and role; Map keeps login order, so the first key is the oldest. */
  private readonly sessions = new Map<string, Session>();

  /**
   * `token`: the single configured/generated token, an operator's. `tokens`: the named tokens of
   * `<stateDir>/api-tokens.json` (each with its role, expiry, revocation). `secureCookies`: `auto` sets Secure on the
   * session cookie when the login came over TLS (x-forwarded-proto: https, or a TLS socket).
   */
  constructor(
    private readonly token: string,
    private readonly password: string | undefined,
    private readonly now: () => number = Date.now,
    private readonly tokens?: ApiTokenStore,
    private readonly secureCookies: boolean | "auto" = "auto",
  ) {
    if (token.length === 0) throw new Error("the API token must not be empty");
  }

  /** Whether POST /api/login accepts a password (one is configured). */
  get passwordLogin(): boolean {
    return this.password !== undefined && this.password.length > 0;
  }

  /** Who a bearer token is: the configured token (operator), a live named token, or undefined. */
  async identifyToken(token: string): Promise<ApiIdentity | undefined> {
    if (secretEquals(token, this.token)) return { role: "operator", via: "the coordinator's token" };
    if (!this.tokens) return undefined;
    await this.tokens.refresh();
    const grant = this.tokens.grant(token);
    return grant ? { role: grant.role, via: `token '${grant.name}'`, tokenId: grant.id } : undefined;
  }

  /** Checks the credentials; a new session (id and role) when they are right, undefined when not. */
  async login(credentials: Credentials): Promise<{ id: string; role: ApiRole } | undefined> {
    let identity: ApiIdentity | undefined;
    let expires = this.now() + SESSION_TTL_MS;
    if ("token" in credentials) {
      identity = await this.identifyToken(credentials.token);
      const grant = identity?.tokenId ? this.tokens?.grant(credentials.token) : undefined;
      if (grant?.expiresAt !== undefined) expires = Math.min(expires, grant.expiresAt);
    } else if (this.password !== undefined && this.passwordLogin && secretEquals(credentials.password, this.password))
      identity = { role: "operator", via: "the dashboard password" };
    if (!identity) return undefined;
    this.sweep();
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
    const id = randomBytes(32).toString("base64url");
    this.sessions.set(id, { expires, role: identity.role, ...(identity.tokenId ? { tokenId: identity.tokenId } : {}) });
    return { id, role: identity.role };
  }

  logout(sessionId: string | undefined): void {
    if (sessionId !== undefined) this.sessions.delete(sessionId);
  }

  /** The session's identity, or undefined (unknown, expired, or made from a token since revoked or expired). */
  async session(sessionId: string | undefined): Promise<ApiIdentity | undefined> {
    if (sessionId === undefined) return undefined;
    const session = this.sessions.get(sessionId);
    if (session === undefined) return undefined;
    if (session.tokenId !== undefined) await this.tokens?.refresh();
    if (session.expires <= this.now() || (session.tokenId !== undefined && !this.tokens?.stillValid(session.tokenId))) {
      this.sessions.delete(sessionId);
      return undefined;
    }
    return { role: session.role, via: "this session", ...(session.tokenId ? { tokenId: session.tokenId } : {}) };
  }

  async hasSession(sessionId: string | undefined): Promise<boolean> {
    return (await this.session(sessionId)) !== undefined;
  }

  /** Who the request is (bearer token, session cookie, or allowQueryToken `?token=`); a 401 HttpError when nobody. */
  async identify(request: FastifyRequest, allowQueryToken: boolean): Promise<ApiIdentity> {
    const header = request.headers.authorization;
    if (header !== undefined) {
      const match = /^Bearer\s+(.+)$/i.exec(header.trim());
      const identity = match?.[1] ? await this.identifyToken(match[1]) : undefined;
      if (identity) return identity;
      throw unauthorized("wrong, revoked, expired or malformed Authorization header (expected: Bearer <token>)");
    }
    const session = await this.session(readCookie(request.headers.cookie, SESSION_COOKIE));
    if (session) return session;
    if (allowQueryToken) {
      const token = (request.query as Record<string, unknown> | undefined)?.token;
      const identity = typeof token === "string" ? await this.identifyToken(token) : undefined;
      if (identity) return identity;
    }
    throw unauthorized(
      allowQueryToken
        ? "missing or wrong credentials: send Authorization: Bearer <token>, log in, or add ?token=<token>"
        : "missing or wrong credentials: send Authorization: Bearer <token> or log in at POST /api/login",
    );
  }

  /** identify(), then a 403 HttpError unless the identity holds `needed`. */
  async check(request: FastifyRequest, allowQueryToken: boolean, needed: ApiRole = "viewer"): Promise<ApiIdentity> {
    const identity = await this.identify(request, allowQueryToken);
    if (rank[identity.role] < rank[needed])
      throw forbidden(`${request.method} ${request.url.split("?", 1)[0]} needs the ${needed} role; ${identity.via} has ${identity.role}`);
    return identity;
  }

  /** A route-level onRequest hook that refuses requests without `needed` (before a WebSocket upgrade, too). */
  hook(allowQueryToken = false, needed: ApiRole = "viewer"): onRequestHookHandler {
    return (request, _reply, done) => {
      this.check(request, allowQueryToken, needed).then(
        (identity) => {
          (request as FastifyRequest & { facefleetIdentity?: ApiIdentity }).facefleetIdentity = identity;
          done();
        },
        (error: Error) => done(error),
      );
    };
  }

  /** Set-Cookie value for a new session: HttpOnly, SameSite=Strict, Secure behind TLS (secureCookies). */
  sessionCookie(id: string, request: FastifyRequest): string {
    const secure = this.secureCookies === "auto" ? behindTls(request) : this.secureCookies;
    return `${SESSION_COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
  }

  /** Set-Cookie value that removes the session cookie. */
  static clearedCookie(): string {
    return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
  }

  private sweep(): void {
    const now = this.now();
    for (const [id, session] of this.sessions) if (session.expires <= now) this.sessions.delete(id);
  }
}

/** The identity the auth hook found for a request (undefined on public routes). */
export function identityOf(request: FastifyRequest): ApiIdentity | undefined {
  return (request as FastifyRequest & { facefleetIdentity?: ApiIdentity }).facefleetIdentity;
}
