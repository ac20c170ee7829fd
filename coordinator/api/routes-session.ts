/** POST /api/login and POST /api/logout: the dashboard's session cookie. */
import { z } from "zod";
import { loginBodySchema } from "../../protocol/api.js";
import { ApiAuth, readCookie, SESSION_COOKIE } from "./auth.js";
import { unauthorized } from "./errors.js";
import { type ApiRoute, defineRoute } from "./route.js";

export const okSchema = z.object({ ok: z.literal(true) });

export function sessionRoutes(auth: ApiAuth): ApiRoute[] {
  return [
    defineRoute({
      method: "POST",
      url: "/api/login",
      operationId: "login",
      summary: `Logs in with the coordinator's token or the dashboard password; sets the HttpOnly session cookie ${SESSION_COOKIE}.`,
      tag: "session",
      public: true,
      body: loginBodySchema,
      response: okSchema,
      handle: ({ body, reply }) => {
        const session = auth.login(body);
        if (session === undefined) {
          if ("token" in body) throw unauthorized("wrong token");
          throw unauthorized(auth.passwordLogin ? "wrong password" : "no dashboard password is configured: log in with the token");
        }
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
