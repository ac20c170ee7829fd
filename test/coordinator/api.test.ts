/** The coordinator's REST + WebSocket API (coordinator/api) over real HTTP, against an in-memory CoordinatorControl. */
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import WebSocket from "ws";
import { agentRoutes } from "../../coordinator/api/routes-agents.js";
import { partitionRoutes } from "../../coordinator/api/routes-partitions.js";
import { type ApiServerOptions, startApiServer } from "../../coordinator/api/server.js";
import type { CoordinatorControl } from "../../coordinator/control.js";
import {
  agentListSchema,
  agentViewSchema,
  apiErrorSchema,
  planChangeResultSchema,
  planViewSchema,
  type StreamMessage,
  streamMessageSchema,
} from "../../protocol/api.js";
import { FakeControl } from "./fake-control.js";

const TOKEN = "s3cret-token";
const PASSWORD = "correct horse";

type Ctx = { url: string; control: FakeControl; logs: string[] };

function fleet(): FakeControl {
  return new FakeControl([
    { id: "a", online: true },
    { id: "b", online: true },
    { id: "c", online: false },
  ]);
}

/** The routes the coordinator's api feature serves over the fleet control (agents, partitions). */
const fleetRoutes = (control: CoordinatorControl) => [...agentRoutes(control), ...partitionRoutes(control)];

async function withServer(fn: (ctx: Ctx) => Promise<void>, options: Partial<ApiServerOptions> = {}): Promise<void> {
  const control = fleet();
  const logs: string[] = [];
  const server = await startApiServer({
    control,
    host: "127.0.0.1",
    port: 0,
    token: TOKEN,
    password: PASSWORD,
    routes: fleetRoutes(control),
    log: (line) => logs.push(line),
    ...options,
  });
  try {
    await fn({ url: server.url, control, logs });
  } finally {
    await server.close();
  }
}

type CallOptions = { method?: string; body?: unknown; rawBody?: string; token?: string | null; cookie?: string };

async function call(ctx: Ctx, path: string, o: CallOptions = {}): Promise<{ status: number; json: unknown; headers: Headers }> {
  const headers: Record<string, string> = {};
  const token = o.token === undefined ? TOKEN : o.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  if (o.cookie) headers.cookie = o.cookie;
  let body: string | undefined;
  if (o.rawBody !== undefined || o.body !== undefined) {
    headers["content-type"] = "application/json";
    body = o.rawBody ?? JSON.stringify(o.body);
  }
  const response = await fetch(`${ctx.url}${path}`, { method: o.method ?? "GET", headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: response.status, json, headers: response.headers };
}

function errorOf(json: unknown) {
  return apiErrorSchema.parse(json);
}

/** The `name=value` part of a Set-Cookie header. */
function cookieOf(headers: Headers): string {
  const setCookie = headers.get("set-cookie");
  assert.ok(setCookie, "a Set-Cookie header");
  return setCookie.split(";", 1)[0] ?? "";
}

test("without credentials or with a wrong token every data route is 401", async () => {
  await withServer(async (ctx) => {
    for (const [method, path] of [
      ["GET", "/api/agents"],
      ["GET", "/api/agents/a"],
      ["GET", "/api/plan"],
      ["POST", "/api/agents/a/drain"],
      ["DELETE", "/api/partitions/1/pin"],
    ] as const) {
      const none = await call(ctx, path, { method, token: null });
      assert.equal(none.status, 401, `${method} ${path}`);
      assert.equal(errorOf(none.json).error, "unauthorized");
      const wrong = await call(ctx, path, { method, token: "nope" });
      assert.equal(wrong.status, 401, `${method} ${path} wrong token`);
    }
    const notBearer = await fetch(`${ctx.url}/api/agents`, { headers: { authorization: `Basic ${TOKEN}` } });
    assert.equal(notBearer.status, 401);
    // A query token is for the WebSocket only.
    assert.equal((await call(ctx, `/api/agents?token=${TOKEN}`, { token: null })).status, 401);
    assert.equal(ctx.control.agent("a")?.drained, false, "the refused drain did nothing");
  });
});

test("with the bearer token: agents, one agent, the plan; an unknown agent is 404", async () => {
  await withServer(async (ctx) => {
    const list = await call(ctx, "/api/agents");
    assert.equal(list.status, 200);
    assert.deepEqual(
      agentListSchema.parse(list.json).agents.map((a) => a.id),
      ["a", "b", "c"],
    );
    const one = await call(ctx, "/api/agents/a");
    assert.equal(one.status, 200);
    assert.deepEqual(agentViewSchema.parse(one.json).partitions, [0, 2, 4]);
    const missing = await call(ctx, "/api/agents/zz");
    assert.equal(missing.status, 404);
    assert.deepEqual(errorOf(missing.json), { error: "not-found", message: 'no agent "zz"' });
    const plan = await call(ctx, "/api/plan");
    assert.equal(plan.status, 200);
    assert.equal(planViewSchema.parse(plan.json).plan?.version, 1);
    assert.equal(plan.headers.get("cache-control"), "no-store");
  });
});

test("login with the token or the password sets a session cookie that works; logout ends it", async () => {
  await withServer(async (ctx) => {
    for (const body of [{ token: TOKEN }, { password: PASSWORD }]) {
      const login = await call(ctx, "/api/login", { method: "POST", body, token: null });
      assert.equal(login.status, 200, JSON.stringify(body));
      assert.deepEqual(login.json, { ok: true, role: "operator" });
      const setCookie = login.headers.get("set-cookie") ?? "";
      assert.match(setCookie, /^facefleet_session=[A-Za-z0-9_-]{20,};/);
      assert.match(setCookie, /HttpOnly/);
      assert.match(setCookie, /SameSite=Strict/);
      assert.match(setCookie, /Path=\//);
      const cookie = cookieOf(login.headers);
      assert.equal((await call(ctx, "/api/agents", { token: null, cookie })).status, 200);
      assert.equal((await call(ctx, "/api/agents", { token: null, cookie: `other=1; ${cookie}` })).status, 200);

      const logout = await call(ctx, "/api/logout", { method: "POST", token: null, cookie });
      assert.equal(logout.status, 200);
      assert.match(logout.headers.get("set-cookie") ?? "", /^facefleet_session=;.*Max-Age=0/);
      assert.equal((await call(ctx, "/api/agents", { token: null, cookie })).status, 401, "the session ended");
    }
    assert.equal((await call(ctx, "/api/agents", { token: null, cookie: "facefleet_session=forged" })).status, 401);
  });
});

test("wrong password or token at login is 401, a malformed login body 400", async () => {
  await withServer(async (ctx) => {
    const wrong = await call(ctx, "/api/login", { method: "POST", body: { password: "guess" }, token: null });
    assert.equal(wrong.status, 401);
    assert.equal(errorOf(wrong.json).error, "unauthorized");
    assert.equal(wrong.headers.get("set-cookie"), null);
    assert.equal((await call(ctx, "/api/login", { method: "POST", body: { token: `${TOKEN}x` }, token: null })).status, 401);
    const both = await call(ctx, "/api/login", { method: "POST", body: { token: TOKEN, password: PASSWORD }, token: null });
    assert.equal(both.status, 400);
    assert.equal((await call(ctx, "/api/login", { method: "POST", body: {}, token: null })).status, 400);
  });
});

test("repeated wrong logins from one address are refused with 429 and Retry-After, the right one too while locked", async () => {
  await withServer(async (ctx) => {
    const login = (body: unknown) => call(ctx, "/api/login", { method: "POST", body, token: null });
    for (let i = 0; i < 5; i++) assert.equal((await login({ password: `guess ${i}` })).status, 401, `attempt ${i + 1}`);
    const sixth = await login({ password: "guess 6" });
    assert.equal(sixth.status, 429);
    assert.equal(errorOf(sixth.json).error, "too-many-requests");
    const retryAfter = Number(sixth.headers.get("retry-after"));
    assert.ok(retryAfter >= 1 && retryAfter <= 900, `retry-after ${retryAfter}`);
    assert.equal((await login({ password: PASSWORD })).status, 429, "locked: even the right password waits");
    assert.equal((await call(ctx, "/api/agents")).status, 200, "the bearer token is not a login: it still works");
  });
});

test("every response carries a Content-Security-Policy with frame-ancestors 'none', X-Frame-Options and no referrer", async () => {
  await withServer(async (ctx) => {
    for (const path of ["/api/agents", "/api/openapi.json", "/api/nothing-here"]) {
      const { headers } = await call(ctx, path);
      const csp = headers.get("content-security-policy") ?? "";
      assert.match(csp, /default-src 'self'/, path);
      assert.match(csp, /frame-ancestors 'none'/, path);
      assert.match(csp, /script-src 'self'(;|$)/, `${path}: no inline scripts`);
      assert.equal(headers.get("x-frame-options"), "DENY", path);
      assert.equal(headers.get("referrer-policy"), "no-referrer", path);
    }
  });
});

test("without a configured password, password logins are refused", async () => {
  await withServer(
    async (ctx) => {
      const refused = await call(ctx, "/api/login", { method: "POST", body: { password: PASSWORD }, token: null });
      assert.equal(refused.status, 401);
      assert.match(errorOf(refused.json).message, /no dashboard password/);
      assert.equal((await call(ctx, "/api/login", { method: "POST", body: { password: "" }, token: null })).status, 400);
      assert.equal((await call(ctx, "/api/login", { method: "POST", body: { token: TOKEN }, token: null })).status, 200);
    },
    { password: undefined },
  );
});

test("invalid params and bodies are 400 naming the field", async () => {
  await withServer(async (ctx) => {
    const noAgent = await call(ctx, "/api/partitions/1/move", { method: "POST", body: {} });
    assert.equal(noAgent.status, 400);
    assert.equal(errorOf(noAgent.json).error, "bad-request");
    assert.match(errorOf(noAgent.json).message, /^agent: /);

    const badPartition = await call(ctx, "/api/partitions/abc/move", { method: "POST", body: { agent: "b" } });
    assert.equal(badPartition.status, 400);
    assert.match(errorOf(badPartition.json).message, /^partition: must be a partition number/);

    const extra = await call(ctx, "/api/partitions/1/pin", { method: "PUT", body: { agent: "b", force: true } });
    assert.equal(extra.status, 400);

    const notString = await call(ctx, "/api/partitions/1/move", { method: "POST", body: { agent: 7 } });
    assert.match(errorOf(notString.json).message, /^agent: /);

    const badJson = await call(ctx, "/api/partitions/1/move", { method: "POST", rawBody: "{agent:" });
    assert.equal(badJson.status, 400);
    assert.equal(errorOf(badJson.json).error, "bad-request");
    assert.match(errorOf(badJson.json).message, /^body: invalid JSON/);

    const noBody = await fetch(`${ctx.url}/api/partitions/1/move`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(noBody.status, 400);

    const longId = await call(ctx, `/api/agents/${"x".repeat(200)}`);
    assert.equal(longId.status, 400);
    assert.match(errorOf(longId.json).message, /^id: /);
    const hugeId = await call(ctx, `/api/agents/${"x".repeat(5000)}`);
    assert.equal(hugeId.status, 414);
    assert.ok(errorOf(hugeId.json).message.length <= 300);
    assert.equal(ctx.control.plan().plan?.version, 1, "nothing changed");
  });
});

test("move: unknown partition or agent 404, offline agent 409, otherwise the new plan", async () => {
  await withServer(async (ctx) => {
    const unknownPartition = await call(ctx, "/api/partitions/99/move", { method: "POST", body: { agent: "b" } });
    assert.equal(unknownPartition.status, 404);
    assert.deepEqual(errorOf(unknownPartition.json), { error: "not-found", message: "no partition 99 in facefleet.frames" });
    assert.equal((await call(ctx, "/api/partitions/0/move", { method: "POST", body: { agent: "nobody" } })).status, 404);

    const offline = await call(ctx, "/api/partitions/0/move", { method: "POST", body: { agent: "c" } });
    assert.equal(offline.status, 409);
    assert.deepEqual(errorOf(offline.json), { error: "conflict", message: 'agent "c" is offline' });

    const moved = await call(ctx, "/api/partitions/0/move", { method: "POST", body: { agent: "b" } });
    assert.equal(moved.status, 200);
    const result = planChangeResultSchema.parse(moved.json);
    assert.equal(result.plan.owners["0"], "b");
    assert.equal(result.plan.version, 2);
    assert.equal(ctx.control.plan().plan?.owners["0"], "b");
  });
});

test("pin and unpin", async () => {
  await withServer(async (ctx) => {
    const pinned = await call(ctx, "/api/partitions/3/pin", { method: "PUT", body: { agent: "a" } });
    assert.equal(pinned.status, 200);
    assert.deepEqual(planChangeResultSchema.parse(pinned.json).plan.pins, { "3": "a" });
    assert.equal((await call(ctx, "/api/partitions/3/pin", { method: "PUT", body: { agent: "c" } })).status, 409);
    const unpinned = await call(ctx, "/api/partitions/3/pin", { method: "DELETE" });
    assert.equal(unpinned.status, 200);
    assert.deepEqual(planChangeResultSchema.parse(unpinned.json).plan.pins, {});
    assert.equal((await call(ctx, "/api/partitions/42/pin", { method: "DELETE" })).status, 404);
  });
});

test("drain and undrain, with or without a JSON content type on the empty body", async () => {
  await withServer(async (ctx) => {
    const drained = await call(ctx, "/api/agents/a/drain", { method: "POST" });
    assert.equal(drained.status, 200);
    const result = planChangeResultSchema.parse(drained.json);
    assert.deepEqual(result.ack, { ok: true, message: "drained" });
    assert.deepEqual(result.plan.drained, ["a"]);
    assert.ok(!Object.values(result.plan.owners).includes("a"));
    assert.equal(agentViewSchema.parse((await call(ctx, "/api/agents/a")).json).drained, true);
    assert.equal((await call(ctx, "/api/partitions/0/move", { method: "POST", body: { agent: "a" } })).status, 409, "drained");

    const undrained = await fetch(`${ctx.url}/api/agents/a/undrain`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    });
    assert.equal(undrained.status, 200);
    assert.deepEqual(planChangeResultSchema.parse(await undrained.json()).plan.drained, []);
    assert.equal((await call(ctx, "/api/agents/zz/drain", { method: "POST" })).status, 404);
  });
});

test("unknown /api routes are a JSON 404; an internal error is a one-line 500, logged", async () => {
  await withServer(async (ctx) => {
    const unknown = await call(ctx, "/api/nope");
    assert.equal(unknown.status, 404);
    assert.equal(errorOf(unknown.json).error, "not-found");
    assert.equal((await call(ctx, "/api/agents", { method: "PATCH" })).status, 404);
    assert.equal((await call(ctx, "/")).status, 404, "no static dir: JSON 404");

    ctx.control.failNext = new Error("registry exploded\n    at somewhere");
    const failed = await call(ctx, "/api/agents");
    assert.equal(failed.status, 500);
    assert.deepEqual(errorOf(failed.json), { error: "internal", message: "registry exploded" });
    assert.deepEqual(ctx.logs, ["api: 500 GET /api/agents: registry exploded"]);
  });
});

/** A WebSocket client that queues what it receives. */
function openStream(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url, { headers });
  const queue: StreamMessage[] = [];
  const waiting: Array<(m: StreamMessage) => void> = [];
  ws.on("message", (data) => {
    const message = streamMessageSchema.parse(JSON.parse(String(data)));
    const waiter = waiting.shift();
    if (waiter) waiter(message);
    else queue.push(message);
  });
  const opened = new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  const next = () =>
    new Promise<StreamMessage>((resolve, reject) => {
      const queued = queue.shift();
      if (queued) return resolve(queued);
      const timer = setTimeout(() => reject(new Error("no stream message within 2 s")), 2000);
      waiting.push((m) => {
        clearTimeout(timer);
        resolve(m);
      });
    });
  const close = () =>
    new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) return resolve();
      ws.once("close", () => resolve());
      ws.close();
    });
  return { ws, opened, next, close };
}

/** The HTTP status of a refused upgrade. */
function refusedStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    ws.once("unexpected-response", (_req, res) => {
      resolve(res.statusCode ?? 0);
      res.resume();
      ws.terminate();
    });
    ws.once("open", () => {
      ws.close();
      reject(new Error("the upgrade was accepted"));
    });
    ws.once("error", () => {});
  });
}

test("the stream refuses the upgrade with 401 without credentials", async () => {
  await withServer(async (ctx) => {
    const base = ctx.url.replace(/^http/, "ws");
    assert.equal(await refusedStatus(`${base}/api/stream`), 401);
    assert.equal(await refusedStatus(`${base}/api/stream?token=wrong`), 401);
    assert.equal(await refusedStatus(`${base}/api/stream`, { authorization: "Bearer wrong" }), 401);
    assert.equal(await refusedStatus(`${base}/api/stream`, { cookie: "facefleet_session=forged" }), 401);
    assert.equal(ctx.control.listeners.size, 0);
    const plain = await call(ctx, "/api/stream");
    assert.equal(plain.status, 426);
    assert.equal(errorOf(plain.json).error, "upgrade-required");
    assert.equal((await call(ctx, "/api/stream", { token: null })).status, 401);
  });
});

test("the stream sends a snapshot, then a plan message after a move; closing unsubscribes", async () => {
  await withServer(async (ctx) => {
    const base = ctx.url.replace(/^http/, "ws");
    const login = await call(ctx, "/api/login", { method: "POST", body: { password: PASSWORD }, token: null });
    const clients = [
      openStream(`${base}/api/stream?token=${encodeURIComponent(TOKEN)}`),
      openStream(`${base}/api/stream`, { authorization: `Bearer ${TOKEN}` }),
      openStream(`${base}/api/stream`, { cookie: cookieOf(login.headers) }),
    ];
    for (const client of clients) {
      await client.opened;
      const snapshot = await client.next();
      assert.equal(snapshot.type, "snapshot");
      if (snapshot.type === "snapshot") {
        assert.deepEqual(
          snapshot.agents.map((a) => a.id),
          ["a", "b", "c"],
        );
        assert.equal(snapshot.plan.plan?.version, 1);
      }
    }
    assert.equal(ctx.control.listeners.size, 3);

    assert.equal((await call(ctx, "/api/partitions/2/move", { method: "POST", body: { agent: "b" } })).status, 200);
    for (const client of clients) {
      const message = await client.next();
      assert.equal(message.type, "plan");
      if (message.type === "plan") {
        assert.equal(message.plan.plan?.version, 2);
        assert.equal(message.plan.plan?.owners["2"], "b");
      }
    }
    await call(ctx, "/api/agents/b/drain", { method: "POST" });
    assert.equal((await clients[0]?.next())?.type, "plan");
    assert.equal((await clients[0]?.next())?.type, "agent");

    await Promise.all(clients.map((c) => c.close()));
    for (let i = 0; i < 50 && ctx.control.listeners.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(ctx.control.listeners.size, 0);
  });
});

test("a stream's watch message makes it a live-view viewer until it closes; an invalid one closes it with 1008 naming the field", async () => {
  await withServer(async (ctx) => {
    const url = `${ctx.url.replace(/^http/, "ws")}/api/stream?token=${encodeURIComponent(TOKEN)}`;
    const settle = async (predicate: () => boolean) => {
      for (let i = 0; i < 100 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10));
      return predicate();
    };
    const grid = openStream(url);
    const single = openStream(url);
    for (const client of [grid, single]) {
      await client.opened;
      assert.equal((await client.next()).type, "snapshot");
    }
    grid.ws.send(JSON.stringify({ type: "watch", cameras: "all" }));
    single.ws.send(JSON.stringify({ type: "watch", cameras: ["cam-3"] }));
    assert.ok(await settle(() => ctx.control.viewers.size === 2));
    assert.deepEqual(ctx.control.viewers.watched(), { all: true, cameras: ["cam-3"] });
    await grid.close();
    assert.ok(await settle(() => !ctx.control.viewers.watched().all), "the closed connection's watch ended");
    assert.deepEqual(ctx.control.viewers.watched(), { all: false, cameras: ["cam-3"] });

    const closed = new Promise<[number, string]>((resolve) => single.ws.once("close", (code, reason) => resolve([code, String(reason)])));
    single.ws.send(JSON.stringify({ type: "watch", cameras: "some" }));
    const [code, reason] = await closed;
    assert.equal(code, 1008);
    assert.match(reason, /^cameras: /);
    assert.ok(await settle(() => ctx.control.viewers.size === 0));
  });
});

test("closing the server closes open streams", async () => {
  const control = fleet();
  const server = await startApiServer({ control, host: "127.0.0.1", port: 0, token: TOKEN, routes: fleetRoutes(control) });
  const client = openStream(`${server.url.replace(/^http/, "ws")}/api/stream?token=${TOKEN}`);
  await client.opened;
  assert.equal((await client.next()).type, "snapshot");
  const closed = new Promise<number>((resolve) => client.ws.once("close", (code) => resolve(code)));
  await server.close();
  assert.equal(await closed, 1001);
  assert.equal(control.listeners.size, 0);
});

test("openapi.json is served without auth and documents every route", async () => {
  await withServer(async (ctx) => {
    const response = await call(ctx, "/api/openapi.json", { token: null });
    assert.equal(response.status, 200);
    const doc = response.json as {
      openapi: string;
      paths: Record<
        string,
        Record<
          string,
          {
            parameters?: Array<{ name: string; in: string }>;
            requestBody?: unknown;
            responses: Record<string, unknown>;
            security?: unknown[];
          }
        >
      >;
      components: { schemas: Record<string, unknown>; securitySchemes: Record<string, { type: string; scheme?: string }> };
    };
    assert.equal(doc.openapi, "3.1.0");
    assert.deepEqual(Object.keys(doc.paths).sort(), [
      "/api/agents",
      "/api/agents/{id}",
      "/api/agents/{id}/drain",
      "/api/agents/{id}/undrain",
      "/api/login",
      "/api/logout",
      "/api/openapi.json",
      "/api/partitions/{partition}/move",
      "/api/partitions/{partition}/pin",
      "/api/plan",
      "/api/session",
      "/api/stream",
    ]);
    assert.deepEqual(Object.keys(doc.paths["/api/partitions/{partition}/pin"] ?? {}).sort(), ["delete", "put"]);
    const move = doc.paths["/api/partitions/{partition}/move"]?.post;
    assert.ok(move);
    assert.deepEqual(Object.keys(move.responses).sort(), ["200", "400", "401", "403", "404", "409"]);
    assert.deepEqual(
      move.parameters?.map((p) => `${p.in}:${p.name}`),
      ["path:partition"],
    );
    assert.ok(move.requestBody);
    assert.deepEqual(Object.keys(doc.paths["/api/agents"]?.get?.responses ?? {}).sort(), ["200", "401"]);
    assert.deepEqual(doc.paths["/api/login"]?.post?.security, []);
    assert.deepEqual(doc.components.securitySchemes.bearer, {
      type: "http",
      scheme: "bearer",
      description: "The coordinator's API token.",
    });
    for (const name of ["AgentView", "PlanView", "PlanChangeResult", "ApiError", "StreamMessage", "TargetAgentBody", "LoginBody"]) {
      assert.ok(doc.components.schemas[name], name);
    }
    // Every $ref resolves.
    const refs = JSON.stringify(doc).match(/"\$ref":"[^"]+"/g) ?? [];
    assert.ok(refs.length > 0);
    for (const ref of refs) {
      const name = ref.replace(/^"\$ref":"#\/components\/schemas\//, "").replace(/"$/, "");
      assert.ok(doc.components.schemas[name], ref);
    }
  });
});

test("static files are served without auth, with index.html as the single-page-app fallback", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-api-static-"));
  try {
    await writeFile(join(dir, "index.html"), "<!doctype html><title>facefleet</title>");
    await writeFile(join(dir, "app.js"), "console.log('app');");
    await withServer(
      async (ctx) => {
        const index = await fetch(`${ctx.url}/`);
        assert.equal(index.status, 200);
        assert.match(index.headers.get("content-type") ?? "", /text\/html/);
        assert.match(await index.text(), /<title>facefleet<\/title>/);
        const script = await fetch(`${ctx.url}/app.js`);
        assert.equal(script.status, 200);
        assert.equal(await script.text(), "console.log('app');");
        const spa = await fetch(`${ctx.url}/agents/a`);
        assert.equal(spa.status, 200);
        assert.match(await spa.text(), /<title>facefleet<\/title>/);
        const api404 = await call(ctx, "/api/nope");
        assert.equal(api404.status, 404);
        assert.equal(errorOf(api404.json).error, "not-found");
        assert.equal((await call(ctx, "/api/agents", { token: null })).status, 401, "the API still needs credentials");
        assert.equal((await call(ctx, "/api/agents")).status, 200);
      },
      { staticDir: dir },
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
