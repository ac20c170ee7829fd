/**
 * Roles of the coordinator's API over real HTTP (coordinator/api/server.ts with the fleet's routes and the named token
 * store in a state dir): a viewer reads and gets 403 (one-line JSON) on an operator's route; an operator does both;
 * the single configured token is an operator's; revocation and expiry hold at the next request, for bearer tokens and
 * for the sessions logged in with them; the session cookie is HttpOnly, SameSite=Strict, and Secure behind TLS.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { agentRoutes } from "../../coordinator/api/routes-agents.js";
import { partitionRoutes } from "../../coordinator/api/routes-partitions.js";
import { startApiServer } from "../../coordinator/api/server.js";
import { apiTokensFile, createApiToken, readApiTokens, revokeApiToken } from "../../coordinator/state/api-tokens.js";
import { apiErrorSchema } from "../../protocol/api.js";
import { repoRoot } from "../../testing/paths.js";
import { FakeControl } from "./fake-control.js";

const TOKEN = "the-single-operator-token";
const bin = join(repoRoot, "bin", "facefleet.js");

async function withServer(fn: (url: string, stateDir: string) => Promise<void>, secureCookies: boolean | "auto" = "auto") {
  const stateDir = await mkdtemp(join(tmpdir(), "facefleet-roles-"));
  const control = new FakeControl([
    { id: "a", online: true },
    { id: "b", online: true },
  ]);
  const server = await startApiServer({
    control,
    host: "127.0.0.1",
    port: 24030,
    token: TOKEN,
    password: "dashboard-password",
    tokensFile: apiTokensFile(stateDir),
    secureCookies,
    routes: [...agentRoutes(control), ...partitionRoutes(control)],
  });
  try {
    await fn(server.url, stateDir);
  } finally {
    await server.close();
    await rm(stateDir, { recursive: true, force: true });
  }
}

async function call(url: string, method: string, path: string, auth: { token?: string; cookie?: string } = {}, body?: unknown) {
  const headers: Record<string, string> = {};
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  if (auth.cookie) headers.cookie = auth.cookie;
  if (body !== undefined) headers["content-type"] = "application/json";
  const response = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, text, json: text ? (JSON.parse(text) as unknown) : undefined, headers: response.headers };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("viewer reads, gets 403 on operator routes; operator and the single token do both", async () => {
  await withServer(async (url, stateDir) => {
    // Created with the CLI, as an operator would: the token is printed once; the file holds only hashes (mode 600).
    const cli = (...args: string[]) =>
      execFileSync(process.execPath, [bin, "api-tokens", ...args, "--state-dir", stateDir], { encoding: "utf8" }).trim();
    const viewer = cli("create", "wall-screen", "--role", "viewer");
    const operator = cli("create", "alice", "--role", "operator", "--expires", "30d");
    assert.match(viewer, /^fft_[a-z0-9]{12}_/);
    const file = apiTokensFile(stateDir);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    const { readFileSync } = await import("node:fs");
    const stored = readFileSync(file, "utf8");
    assert.ok(!stored.includes(viewer) && !stored.includes(operator), "a token is stored in the clear");
    const listed = JSON.parse(cli("list", "--json")) as { tokens: { name: string; role: string; expiresAt?: string }[] };
    assert.deepEqual(
      listed.tokens.map((t) => [t.name, t.role, t.expiresAt !== undefined]),
      [
        ["wall-screen", "viewer", false],
        ["alice", "operator", true],
      ],
    );

    for (const [who, token] of [
      ["viewer", viewer],
      ["operator", operator],
      ["single", TOKEN],
    ] as const) {
      assert.equal((await call(url, "GET", "/api/agents", { token })).status, 200, who);
      assert.equal((await call(url, "GET", "/api/plan", { token })).status, 200, who);
      assert.deepEqual((await call(url, "GET", "/api/session", { token })).json, { role: who === "viewer" ? "viewer" : "operator" });
    }
    for (const [method, path, body] of [
      ["POST", "/api/agents/a/drain", undefined],
      ["POST", "/api/agents/a/undrain", undefined],
      ["POST", "/api/partitions/0/move", { agent: "b" }],
      ["PUT", "/api/partitions/0/pin", { agent: "b" }],
      ["DELETE", "/api/partitions/0/pin", undefined],
    ] as const) {
      const refused = await call(url, method, path, { token: viewer }, body);
      assert.equal(refused.status, 403, `${method} ${path}`);
      const error = apiErrorSchema.parse(refused.json);
      assert.equal(error.error, "forbidden");
      assert.equal(error.message, `${method} ${path} needs the operator role; token 'wall-screen' has viewer`);
      assert.ok(!refused.text.includes("\n"), "one line");
      assert.notEqual((await call(url, method, path, { token: operator }, body)).status, 403, `operator ${method} ${path}`);
    }
    // The OpenAPI document says what each route needs.
    const doc = (await call(url, "GET", "/api/openapi.json")).json as { paths: Record<string, Record<string, Record<string, unknown>>> };
    assert.equal(doc.paths["/api/agents/{id}/drain"]?.post?.["x-facefleet-role"], "operator");
    assert.equal(doc.paths["/api/agents"]?.get?.["x-facefleet-role"], "viewer");
    const drainResponses = doc.paths["/api/agents/{id}/drain"]?.post?.responses as Record<string, unknown> | undefined;
    assert.ok(drainResponses?.["403"]);
  });
});

test("revocation and expiry hold at the next request, for the token and its sessions", async () => {
  await withServer(async (url, stateDir) => {
    const { token: kept } = await createApiToken(stateDir, { name: "kept", role: "viewer" });
    const { token: revoked } = await createApiToken(stateDir, { name: "leaving", role: "operator" });
    const { token: short } = await createApiToken(stateDir, { name: "short", role: "viewer", expiresInMs: 2500 });
    const login = await call(url, "POST", "/api/login", {}, { token: revoked });
    assert.deepEqual(login.json, { ok: true, role: "operator" });
    const cookie = (login.headers.get("set-cookie") ?? "").split(";", 1)[0] as string;
    assert.equal((await call(url, "GET", "/api/agents", { cookie })).status, 200);
    assert.equal((await call(url, "GET", "/api/agents", { token: short })).status, 200);

    assert.equal(await revokeApiToken(stateDir, "leaving"), true);
    await sleep(1200); // the store looks at the file at most once a second
    assert.equal((await call(url, "GET", "/api/agents", { token: revoked })).status, 401, "a revoked token");
    assert.equal((await call(url, "GET", "/api/agents", { cookie })).status, 401, "a session of a revoked token");
    assert.equal((await call(url, "POST", "/api/login", {}, { token: revoked })).status, 401);
    assert.equal((await call(url, "GET", "/api/agents", { token: kept })).status, 200, "the others keep working");
    const entries = await readApiTokens(apiTokensFile(stateDir));
    assert.ok(entries.find((t) => t.name === "leaving")?.revokedAt, "revocation recorded");

    await sleep(1500);
    assert.equal((await call(url, "GET", "/api/agents", { token: short })).status, 401, "an expired token");
    assert.equal((await call(url, "GET", "/api/agents", { token: TOKEN })).status, 200, "the single token");
  });
});

test("session cookie: HttpOnly, SameSite=Strict; Secure behind TLS (x-forwarded-proto) or when configured", async () => {
  await withServer(async (url) => {
    const plain = await fetch(`${url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ password: "dashboard-password" }),
    });
    const cookie = plain.headers.get("set-cookie") ?? "";
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
    assert.doesNotMatch(cookie, /Secure/);
    const proxied = await fetch(`${url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-proto": "https" },
      body: JSON.stringify({ password: "dashboard-password" }),
    });
    assert.match(proxied.headers.get("set-cookie") ?? "", /; Secure/);
  });
  await withServer(async (url) => {
    const login = await fetch(`${url}/api/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: TOKEN }),
    });
    assert.match(login.headers.get("set-cookie") ?? "", /HttpOnly; SameSite=Strict; Secure/);
  }, true);
});
