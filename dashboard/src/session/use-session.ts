import { useCallback, useEffect, useState } from "preact/hooks";
import { logout } from "../api/endpoints.js";
import { HttpError, onUnauthorized, request } from "../api/http.js";

/** checking: asking the coordinator whether the session cookie is still good. */
export type SessionState = "checking" | "unreachable" | "logged-out" | "logged-in";

const RETRY_MS = 3000;

/**
 * Whether the browser holds a valid session cookie (HttpOnly, so the page cannot read it: it asks the
 * API). Any 401 from any request logs the page out.
 */
export function useSession() {
  const [state, setState] = useState<SessionState>("checking");

  useEffect(() => onUnauthorized(() => setState("logged-out")), []);

  const needsProbe = state === "checking" || state === "unreachable";
  useEffect(() => {
    if (!needsProbe) return;
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const probe = () => {
      request("GET", "/api/plan", undefined, { quiet401: true })
        .then(() => !cancelled && setState("logged-in"))
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

  const loggedIn = useCallback(() => setState("logged-in"), []);
  const logOut = useCallback(async () => {
    try {
      await logout();
    } catch {
      // The session is dropped on this side either way.
    }
    setState("logged-out");
  }, []);

  return { state, loggedIn, logOut };
}
