import { useCallback, useEffect, useState } from "preact/hooks";
import type { ApiRoleName } from "../../../protocol/api.js";
import { fetchSession, logout } from "../api/endpoints.js";
import { HttpError, onUnauthorized } from "../api/http.js";

/** checking: asking the coordinator whether the session cookie is still good. */
export type SessionState = "checking" | "unreachable" | "logged-out" | "logged-in";

const RETRY_MS = 3000;

/**
 * Whether the browser holds a valid session cookie (HttpOnly, so the page cannot read it: it asks
 * GET /api/session, which also answers the session's role). Any 401 from any request logs the page out.
 */
export function useSession() {
  const [state, setState] = useState<SessionState>("checking");
  const [role, setRole] = useState<ApiRoleName>("viewer");

  useEffect(() => onUnauthorized(() => setState("logged-out")), []);

  const needsProbe = state === "checking" || state === "unreachable";
  useEffect(() => {
    if (!needsProbe) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const probe = () => {
      fetchSession()
        .then((session) => {
          if (cancelled) return;
          setRole(session.role);
          setState("logged-in");
        })
        .catch((error: unknown) => {
          if (cancelled) return;
          if (error instanceof HttpError && error.status === 401) setState("logged-out");
          else {
            setState("unreachable");
            timer = setTimeout(probe, RETRY_MS);
          }
        });
    };
    probe();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [needsProbe]);

  const loggedIn = useCallback((loggedInRole: ApiRoleName) => {
    setRole(loggedInRole);
    setState("logged-in");
  }, []);
  const logOut = useCallback(async () => {
    try {
      await logout();
    } catch {
      // The session is dropped on this side either way.
    }
    setState("logged-out");
  }, []);

  return { state, role, loggedIn, logOut };
}
