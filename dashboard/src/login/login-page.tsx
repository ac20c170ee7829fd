import { useState } from "preact/hooks";
import type { ApiRoleName } from "../../../protocol/api.js";
import { login } from "../api/endpoints.js";
import { describeError, HttpError } from "../api/http.js";

/**
 * The only page until POST /api/login succeeds. Either the dashboard password (from the coordinator's
 * config) or an API token (the coordinator's, or a named one: its role); when both are filled in, the token is used.
 */
export function LoginPage({ onLoggedIn }: { onLoggedIn(role: ApiRoleName): void }) {
  const [password, setPassword] = useState("");
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: Event) {
    event.preventDefault();
    if (busy) return;
    if (token === "" && password === "") {
      setError("Enter the password or an API token.");
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const { role } = await login(token !== "" ? { token } : { password });
      onLoggedIn(role);
    } catch (caught) {
      const what = token !== "" ? "token" : "password";
      setError(caught instanceof HttpError && caught.status === 401 ? `Wrong ${what}.` : describeError(caught));
      setBusy(false);
    }
  }

  return (
    <main class="login">
      <form class="login-card" onSubmit={submit} aria-labelledby="login-title" noValidate>
        <h1 id="login-title">facefleet</h1>
        <p class="muted">Sign in to the coordinator.</p>
        <label class="field">
          Password
          <input
            type="password"
            name="password"
            autocomplete="current-password"
            value={password}
            onInput={(event) => setPassword(event.currentTarget.value)}
            data-testid="login-password"
            autofocus
          />
        </label>
        <div class="or" aria-hidden="true">
          or
        </div>
        <label class="field">
          API token
          <input
            type="password"
            name="token"
            autocomplete="off"
            spellcheck={false}
            value={token}
            onInput={(event) => setToken(event.currentTarget.value)}
            data-testid="login-token"
          />
        </label>
        {error && (
          <p class="form-error" role="alert" data-testid="login-error">
            {error}
          </p>
        )}
        <button type="submit" class="primary" disabled={busy} data-testid="login-submit">
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </main>
  );
}
