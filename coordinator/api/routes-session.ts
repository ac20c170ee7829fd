/** POST /api/login and POST /api/logout: the dashboard's session cookie. */
import { z } from "zod";
import { loginBodySchema, loginResultSchema, sessionViewSchema } from "../../protocol/api.js";
import { ApiAuth, identityOf, readCookie, SESSION_COOKIE } from "./auth.js";
import { tooManyRequests, unauthorized } from "./errors.js";
import { LoginThrottle } from "./login-throttle.js";
import { type ApiRoute, defineRoute } from "./route.js";

export const okSchema = z.object({ ok: z.literal(true) });

export function sessionRoutes(auth: ApiAuth, throttle: LoginThrottle = new LoginThrottle()): ApiRoute[] {
  return [
    defineRoute({
      method: "POST",
      url: "/api/login",
      operationId: "login",
      summary: `Logs in with a token (the coordinator's: operator; a named one: its role) or the dashboard password (operator); sets the session cookie ${SESSION_COOKIE} (HttpOnly, SameSite=Strict, Secure behind TLS) and answers the session's role. After 5 wrong attempts within a minute a client address is refused (429, Retry-After) for 5 s, doubling with each further failure up to 15 min.`,
      tag: "session",
      access: "public",
      body: loginBodySchema,
      response: loginResultSchema,
      refusals: [429],
      handle: async ({ body, request, reply }) => {
        const client = request.ip;
        const waitMs = throttle.waitMs(client);
        if (waitMs > 0) {
          const seconds = Math.ceil(waitMs / 1000);
          reply.header("retry-after", String(seconds));
          throw tooManyRequests(`too many failed logins from ${client}: try again in ${seconds} s`);
        }
        const session = await auth.login(body);
        if (session === undefined) {
          throttle.failed(client);
          if ("token" in body) throw unauthorized("wrong token");
          throw unauthorized(auth.passwordLogin ? "wrong password" : "no dashboard password is configured: log in with the token");
        }
        throttle.succeeded(client);
        reply.header("set-cookie", auth.sessionCookie(session.id, request));
        return { ok: true as const, role: session.role };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/api/logout",
      operationId: "logout",
      summary: "Ends the session of the cookie it carries and clears the cookie.",
      tag: "session",
      access: "public",
      response: okSchema,
      handle: ({ request, reply }) => {
        auth.logout(readCookie(request.headers.cookie, SESSION_COOKIE));
        reply.header("set-cookie", ApiAuth.clearedCookie());
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: "GET",
      url: "/api/session",
      operationId: "session",
      summary: "The role of the credentials the request carries (viewer or operator): the dashboard hides what a viewer may not do.",
      tag: "session",
      access: "viewer",
      response: sessionViewSchema,
      handle: ({ request }) => ({ role: identityOf(request)?.role ?? "viewer" }),
    }),
  ];
}
