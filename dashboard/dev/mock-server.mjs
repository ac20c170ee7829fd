// Throwaway mock of the coordinator's API for looking at the dashboard without the real server.
// NOT a test and not the real API: canned data for 3 agents x 12 partitions, a few stream messages.
//   npx vite build --config dashboard/vite.config.ts && node dashboard/dev/mock-server.mjs [port]
// Password: "mock" (or any token). Serves dashboard/dist with SPA fallback.
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer } from "ws";

const port = Number(process.argv[2] ?? process.env.PORT ?? 5180);
const dist = fileURLToPath(new URL("../dist/", import.meta.url));
const SESSION = "mock-session";
const start = Date.now();

const PARTITIONS = 12;
const agents = new Map();
function health(id, device, extra) {
  return {
    schemaVersion: 1,
    agentId: id,
    time: Date.now(),
    agentVersion: "0.1.0",
    device,
    cpu: { loadPerCore: [40, 55, 62, 38], temperatureC: 52.3, throttled: null },
    gpu: null,
    memory: { usedMiB: 1800, totalMiB: 3964 },
    disk: { usedPercent: 41 },
    models: [
      { role: "detector", model: "scrfd_2.5g", provider: "cpu", sha256: "x" },
      { role: "embedder", model: "mobilefacenet-int8", provider: "cpu", sha256: "y" },
    ],
    fps: { in: 14.2, out: 14.1 },
    latencyMs: {
      queue: { p50: 3, p95: 11 },
      decode: { p50: 4.1, p95: 6.3 },
      detect: { p50: 22, p95: 31 },
      align: { p50: 0.8, p95: 1.4 },
      embed: { p50: 9.5, p95: 14 },
      match: { p50: 0.2, p95: 0.4 },
      track: { p50: 0.1, p95: 0.2 },
      annotate: { p50: 5, p95: 8 },
      produce: { p50: 1.2, p95: 3.5 },
      total: { p50: 46, p95: 71 },
    },
    capacityFps: 20,
    partitions: [],
    galleryVersion: 7,
    drained: false,
    ...extra,
  };
}
function addAgent(id, online, h) {
  agents.set(id, {
    id,
    online,
    status: online ? "online" : "offline",
    lastSeen: Date.now() - (online ? 1000 : 185_000),
    drained: false,
    partitions: [],
    health: h,
  });
}
addAgent(
  "jetson-nano-01",
  true,
  health(
    "jetson-nano-01",
    { model: "NVIDIA Jetson Nano Developer Kit", arch: "arm64", accelerator: "NVIDIA Maxwell GPU (CUDA 10.2)" },
    {
      gpu: { loadPercent: 71, temperatureC: 49.5 },
      models: [
        { role: "detector", model: "scrfd_2.5g", provider: "TensorrtExecutionProvider", sha256: "x" },
        { role: "embedder", model: "arcface-r50-fp16", provider: "CUDAExecutionProvider", sha256: "y" },
      ],
      capacityFps: 45,
    },
  ),
);
addAgent(
  "rpi5-kitchen",
  true,
  health(
    "rpi5-kitchen",
    { model: "Raspberry Pi 5 Model B Rev 1.0", arch: "arm64", accelerator: null },
    {
      cpu: { loadPerCore: [88, 97, 91, 84], temperatureC: 81.2, throttled: "0x80008" },
      memory: { usedMiB: 3500, totalMiB: 3964 },
    },
  ),
);
addAgent(
  "rpi4-garage",
  false,
  health("rpi4-garage", { model: "Raspberry Pi 4 Model B Rev 1.4", arch: "arm64", accelerator: null }, { time: Date.now() - 185_000 }),
);

const plan = {
  schemaVersion: 1,
  version: 41,
  createdAt: Date.now(),
  topic: "facefleet.frames",
  partitionCount: PARTITIONS,
  owners: {},
  pins: { 2: "jetson-nano-01" },
  drained: [],
  reason: "agent lost: rpi4-garage",
};
for (let p = 0; p < PARTITIONS; p++) plan.owners[p] = p < 8 ? "jetson-nano-01" : "rpi5-kitchen";
const loads = Array.from({ length: PARTITIONS }, (_, p) => ({
  partition: p,
  fps: 2 + (p % 4) * 1.5,
  lag: p === 9 ? 412 : p * 3,
  costMsPerFrame: p < 8 ? 22 : 46,
}));

function syncAgents() {
  for (const agent of agents.values()) {
    agent.partitions = Object.entries(plan.owners)
      .filter(([, owner]) => owner === agent.id)
      .map(([p]) => Number(p));
    agent.drained = plan.drained.includes(agent.id);
    if (agent.health) {
      agent.health.partitions = agent.partitions.map((p) => ({ topic: plan.topic, partition: p, lag: loads[p].lag }));
      agent.health.drained = agent.drained;
    }
  }
}
syncAgents();
const planView = () => ({ plan: structuredClone(plan), loads });

const clients = new Set();
const broadcast = (message) => {
  const text = JSON.stringify(message);
  for (const socket of clients) socket.send(text);
};

/** Publishes a changed plan after a delay, like the real coordinator would, so the spinner shows. */
function publish(reason) {
  plan.version += 1;
  plan.createdAt = Date.now();
  plan.reason = reason;
  syncAgents();
  const result = { plan: structuredClone(plan), ack: null };
  const view = planView();
  setTimeout(() => {
    broadcast({ type: "plan", plan: view });
    for (const agent of agents.values()) broadcast({ type: "agent", agent });
  }, 1500);
  return result;
}

const json = (res, status, body, headers = {}) => {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
};
const fail = (res, status, error, message) => json(res, status, { error, message });
const authed = (req) => (req.headers.cookie ?? "").split(/;\s*/).includes(`facefleet_session=${SESSION}`);
const body = async (req) => {
  let text = "";
  for await (const chunk of req) text += chunk;
  return text ? JSON.parse(text) : {};
};
/** The reason an agent cannot take a partition (answered as the real API would), or null. */
function refusal(id) {
  const agent = agents.get(id);
  if (!agent) return [404, "not_found", `no agent ${id}`];
  if (!agent.online) return [409, "conflict", `agent ${id} is offline`];
  if (plan.drained.includes(id)) return [409, "conflict", `agent ${id} is drained`];
  return null;
}

function svgFrame(camera) {
  const t = new Date().toLocaleTimeString("en-GB");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="640" height="360"><rect width="640" height="360" fill="#223"/><rect x="250" y="90" width="120" height="150" fill="none" stroke="#3fb950" stroke-width="3"/><text x="250" y="82" fill="#3fb950" font-family="sans-serif" font-size="18">alice 0.41</text><text x="12" y="345" fill="#ccc" font-family="monospace" font-size="16">${camera} ${t}</text></svg>`;
}

const TYPES = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".map": "application/json", ".svg": "image/svg+xml" };

const server = createServer(async (req, res) => {
  const url = new URL(req.url ?? "/", "http://localhost");
  const path = url.pathname;
  try {
    if (path === "/api/login" && req.method === "POST") {
      const credentials = await body(req);
      if (credentials.password === "mock" || credentials.token)
        return json(res, 200, { ok: true }, { "set-cookie": `facefleet_session=${SESSION}; HttpOnly; Path=/; SameSite=Strict` });
      return fail(res, 401, "unauthorized", "wrong password");
    }
    if (path.startsWith("/api/")) {
      if (!authed(req)) return fail(res, 401, "unauthorized", "log in first");
      if (path === "/api/logout") return json(res, 200, { ok: true }, { "set-cookie": "facefleet_session=; Path=/; Max-Age=0" });
      if (path === "/api/agents") return json(res, 200, { agents: [...agents.values()] });
      if (path === "/api/plan") return json(res, 200, planView());
      if (path === "/api/cameras")
        return json(res, 200, { cameras: ["door", "kitchen", "garage"].map((camera) => ({ camera, updatedAt: Date.now() })) });
      let m = path.match(/^\/api\/cameras\/([^/]+)\/latest\.jpg$/);
      if (m) {
        res.writeHead(200, { "content-type": "image/svg+xml", "cache-control": "no-store" });
        return res.end(svgFrame(decodeURIComponent(m[1])));
      }
      m = path.match(/^\/api\/agents\/([^/]+)(?:\/(drain|undrain))?$/);
      if (m) {
        const id = decodeURIComponent(m[1]);
        if (!agents.has(id)) return fail(res, 404, "not_found", `no agent ${id}`);
        if (!m[2]) return json(res, 200, agents.get(id));
        if (m[2] === "drain") {
          if (!plan.drained.includes(id)) plan.drained.push(id);
          const target = [...agents.values()].find((a) => a.online && a.id !== id && !plan.drained.includes(a.id));
          for (const [p, owner] of Object.entries(plan.owners)) if (owner === id && target) plan.owners[p] = target.id;
        } else plan.drained = plan.drained.filter((a) => a !== id);
        return json(res, 200, publish(`operator ${m[2]}: ${id}`));
      }
      m = path.match(/^\/api\/partitions\/(\d+)\/(move|pin)$/);
      if (m) {
        const p = Number(m[1]);
        if (p >= PARTITIONS) return fail(res, 404, "not_found", `no partition ${p}`);
        if (m[2] === "pin" && req.method === "DELETE") {
          delete plan.pins[p];
          return json(res, 200, publish(`operator unpin: ${p}`));
        }
        const { agent } = await body(req);
        if (p === 0 && m[2] === "move") return fail(res, 409, "conflict", "partition 0 moved less than 60 s ago (cooldown)");
        const refused = refusal(agent);
        if (refused) return fail(res, ...refused);
        plan.owners[p] = agent;
        if (m[2] === "pin") plan.pins[p] = agent;
        return json(res, 200, publish(`operator ${m[2]}: ${p} -> ${agent}`));
      }
      return fail(res, 404, "not_found", `no route ${req.method} ${path}`);
    }
    // static files with SPA fallback
    let file = normalize(join(dist, decodeURIComponent(path)));
    if (!file.startsWith(dist) || path === "/" || !extname(file)) file = join(dist, "index.html");
    const data = await readFile(file).catch(() => readFile(join(dist, "index.html")));
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream" });
    res.end(data);
  } catch (error) {
    fail(res, 500, "internal", String(error));
  }
});

const wss = new WebSocketServer({ noServer: true });
server.on("upgrade", (req, socket, head) => {
  if (!req.url?.startsWith("/api/stream") || !authed(req)) {
    socket.end("HTTP/1.1 401 Unauthorized\r\n\r\n");
    return;
  }
  wss.handleUpgrade(req, socket, head, (ws) => {
    clients.add(ws);
    ws.on("close", () => clients.delete(ws));
    ws.send(JSON.stringify({ type: "snapshot", agents: [...agents.values()], plan: planView() }));
  });
});

const people = ["alice", "bob", "carol", "Unknown", "dave"];
const cameras = ["door", "kitchen", "garage"];
let tick = 0;
setInterval(() => {
  tick++;
  for (const agent of agents.values()) {
    if (!agent.online) continue;
    agent.lastSeen = Date.now();
    agent.health.time = Date.now();
    agent.health.cpu.loadPerCore = agent.health.cpu.loadPerCore.map((l) => Math.max(0, Math.min(100, l + (Math.random() - 0.5) * 10)));
    agent.health.fps.in = 14 + Math.random() * 2;
    agent.health.fps.out = agent.health.fps.in - Math.random() * 0.3;
    broadcast({ type: "agent", agent });
  }
  const identity = people[tick % people.length];
  const type =
    identity === "Unknown" ? "unknown_person" : identity === "dave" ? "watchlist_hit" : tick % 3 === 0 ? "person_left" : "person_seen";
  broadcast({
    type: "event",
    event: {
      schemaVersion: 1,
      type,
      camera: cameras[tick % cameras.length],
      trackId: `t${tick}`,
      identity,
      distance: identity === "Unknown" ? undefined : 0.3 + (tick % 7) / 30,
      firstSeq: tick * 10,
      lastSeq: tick * 10 + 9,
      time: Date.now(),
      agent: tick % 2 ? "jetson-nano-01" : "rpi5-kitchen",
    },
  });
  for (const camera of cameras) broadcast({ type: "frame", camera, time: Date.now() });
}, 1000);

server.listen(port, "127.0.0.1", () =>
  console.log(`mock coordinator on http://127.0.0.1:${port} (password: mock), started ${new Date(start).toISOString()}`),
);
