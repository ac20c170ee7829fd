/** POST /api/login and POST /api/logout: the dashboard's session cookie. */
import { z } from "zod";
import { loginBodySchema } from "../../protocol/api.js";
import { ApiAuth, readCookie, SESSION_COOKIE } from "./auth.js";
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
      summary: `Logs in with the coordinator's token or the dashboard password; sets the HttpOnly session cookie ${SESSION_COOKIE}. After 5 wrong attempts within a minute a client address is refused (429, Retry-After) for 5 s, doubling with each further failure up to 15 min.`,
      tag: "session",
      public: true,
      body: loginBodySchema,
      response: okSchema,
      refusals: [429],
      handle: ({ body, request, reply }) => {
        const client = request.ip;
        const waitMs = throttle.waitMs(client);
        if (waitMs > 0) {
          const seconds = Math.ceil(waitMs / 1000);
          reply.header("retry-after", String(seconds));
          throw tooManyRequests(`too many failed logins from ${client}: try again in ${seconds} s`);
        }
        const session = auth.login(body);
        if (session === undefined) {
          throttle.failed(client);
          if ("token" in body) throw unauthorized("wrong token");
          throw unauthorized(auth.passwordLogin ? "wrong password" : "no dashboard password is configured: log in with the token");
        }
        throttle.succeeded(client);
        reply.header("set-cookie", ApiAuth.sessionCookie(session));
        return { ok: true as const };
      },
    }),
    defineRoute({
      method: "POST",
      url: "/api/logout",
      operationId: "logout",
      summary: "Ends the session of the cookie it carries and clears the cookie.",
      tag: "session",
      public: true,
      response: okSchema,
      handle: ({ request, reply }) => {
        auth.logout(readCookie(request.headers.cookie, SESSION_COOKIE));
        reply.header("set-cookie", ApiAuth.clearedCookie());
        return { ok: true as const };
      },
    }),
  ];
}
