/** Pieces of the agent's MQTT side without a broker: config, parsing of device files, health building, command answers. */
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import { answerCommand, CommandListener } from "../../agent/commands/command-listener.js";
import { parseAgentConfig } from "../../agent/config.js";
import { acceleratorOf, buildAgentHealth, capacityFpsOf, FpsMeter } from "../../agent/health/health-builder.js";
import { HealthReporter } from "../../agent/health/health-reporter.js";
import type { AgentMqttLink } from "../../agent/health/mqtt-link.js";
import { parseJetsonGpuLoad, parseThrottled, SystemProbe } from "../../agent/health/system-probe.js";
import { WorkerStats } from "../../agent/worker/stats.js";
import type { AgentHealth } from "../../protocol/health.js";
import { agentHealthSchema } from "../../protocol/health.js";

test("agent config: the mqtt section is optional, defaulted and validated", () => {
  assert.equal(parseAgentConfig({ agentId: "pi-1" }).mqtt, undefined);
  const config = parseAgentConfig({ agentId: "pi-1", mqtt: { url: "mqtt://10.0.0.5:1883", username: "u", password: "p" } });
  assert.equal(config.mqtt?.healthIntervalMs, 5000);
  assert.throws(() => parseAgentConfig({ agentId: "pi-1", mqtt: { url: "http://x" } }), /mqtt\.url: must be mqtt:\/\/host:port/);
  assert.throws(() => parseAgentConfig({ agentId: "pi-1", mqtt: { url: "mqtt://x:1", healthIntervalMs: 5 } }), /mqtt\.healthIntervalMs: /);
  assert.throws(() => parseAgentConfig({ agentId: "pi-1", mqtt: {} }), /mqtt\.url: /);
});

test("Raspberry Pi throttling and Jetson GPU load are parsed", () => {
  assert.equal(parseThrottled("throttled=0x50005\n"), "0x50005");
  assert.equal(parseThrottled("0x0"), "0x0");
  assert.equal(parseThrottled("VCHI initialization failed"), null);
  assert.equal(parseJetsonGpuLoad("537\n"), 53.7);
  assert.equal(parseJetsonGpuLoad("1000"), 100);
  assert.equal(parseJetsonGpuLoad("n/a"), null);
});

test("capacity, accelerator and fps in", () => {
  assert.equal(capacityFpsOf(undefined), 0);
  const stats = new WorkerStats("a");
  assert.equal(capacityFpsOf(stats.snapshot()), 0);
  stats.frameOut({ total: 100, queue: 0 }, false, 0);
  assert.equal(capacityFpsOf(stats.snapshot()), 10);
  // Frames waiting in the queue longer than they take to process: still the processing time counts.
  stats.frameOut({ total: 100, queue: 900 }, false, 0);
  assert.equal(capacityFpsOf(stats.snapshot()), 10);
  assert.equal(acceleratorOf([{ role: "detector", model: "m", provider: "cpu", sha256: "" }], false), null);
  assert.equal(acceleratorOf([{ role: "detector", model: "m", provider: "cpu", sha256: "" }], true), "jetson-gpu");
  assert.equal(acceleratorOf([{ role: "embedder", model: "m", provider: "cuda", sha256: "" }], false), "cuda");
  const meter = new FpsMeter();
  assert.equal(meter.rate(0, 1000), 0);
  assert.equal(meter.rate(50, 6000), 10);
});

test("a health report of this machine is valid by the schema", async () => {
  const system = await new SystemProbe().sample();
  const health = buildAgentHealth({
    agentId: "here",
    agentVersion: "0.1.0",
    system,
    fpsIn: 0,
    models: [],
    framesTopic: "facefleet.frames",
    drained: false,
  });
  assert.deepEqual(agentHealthSchema.parse(health), health);
  assert.equal(health.galleryVersion, null, "capture-only: no gallery");
  assert.ok(health.cpu.loadPerCore.length > 0);
});

test("attributes in health: estimates, ms per frame before the total, ms per estimate; absent while none is on", async () => {
  const system = await new SystemProbe().sample();
  const build = (stats: WorkerStats) =>
    buildAgentHealth({
      agentId: "a",
      agentVersion: "0.1.0",
      system,
      fpsIn: 0,
      models: [],
      framesTopic: "f",
      drained: false,
      stats: stats.snapshot(),
    });
  const stats = new WorkerStats("a");
  stats.frameOut({ total: 50, detect: 20 }, false, 0);
  const off = build(stats);
  assert.equal(off.attributes, undefined);
  assert.equal(off.latencyMs.attributes, undefined);
  assert.doesNotMatch(stats.summary(), /attribute/);
  // Three frames of a camera with attributes on: 2 faces estimated in the first (12 ms), none in the others.
  stats.frameOut({ total: 80, attributes: 12 }, false, 0);
  stats.attributesRun += 2;
  stats.frameOut({ total: 60, attributes: 0.2 }, false, 0);
  stats.frameOut({ total: 60, attributes: 0.2 }, false, 0);
  const on = build(stats);
  assert.deepEqual(on.attributes, { estimates: 2, msPerFrame: { p50: 0.2, p95: 12 }, msPerEstimate: 6.2 });
  assert.deepEqual(on.latencyMs.attributes, { p50: 0.2, p95: 12 });
  const stages = Object.keys(on.latencyMs);
  assert.equal(stages.indexOf("attributes"), stages.indexOf("total") - 1, stages.join(","));
  assert.deepEqual(agentHealthSchema.parse(on), on);
  assert.match(stats.summary(), /2 attribute estimates \(p50 0\.2 ms a frame, 6\.2 ms each\)/);
  assert.throws(() =>
    agentHealthSchema.parse({ ...on, attributes: { estimates: -1, msPerFrame: { p50: 0, p95: 0 }, msPerEstimate: null } }),
  );
});

test("command answers: valid, invalid (field named), unsupported, failing handler", async () => {
  const now = () => 1_700_000_000_000;
  const cmd = (command: string, extra = {}) => JSON.stringify({ schemaVersion: 1, id: "x1", command, issuedAt: 1, ...extra });
  const ok = await answerCommand("a", cmd("undrain"), { undrain: () => undefined }, now);
  assert.deepEqual(ok, { schemaVersion: 1, id: "x1", agentId: "a", ok: true, message: "undrain: done", time: 1_700_000_000_000 });
  assert.match((await answerCommand("a", cmd("drain", { schemaVersion: 2 }), {}, now)).message, /^schemaVersion: /);
  assert.equal((await answerCommand("a", cmd("reload-gallery"), {}, now)).message, "reload-gallery: not supported by this agent");
  const failed = await answerCommand("a", cmd("drain"), { drain: () => Promise.reject(new Error("worker stopped")) }, now);
  assert.deepEqual([failed.ok, failed.message], [false, "drain: worker stopped"]);
  assert.equal((await answerCommand("a", "[]", {}, now)).id, "unknown");
});

test("the health reporter resumes after a report skipped while disconnected", async () => {
  // A stand-in for the link's state (no broker involved): only isConnected and publishAsync matter here.
  const published: string[] = [];
  const link = {
    agentId: "a",
    isConnected: false,
    settings: { healthIntervalMs: 1000 },
    client: {
      on: () => {},
      off: () => {},
      publishAsync: async (topic: string) => {
        published.push(topic);
      },
    },
  };
  const reporter = new HealthReporter(
    link as unknown as AgentMqttLink,
    async () => ({}) as AgentHealth,
    () => {},
  );
  await reporter.publishNow(); // skipped: not connected (ends without awaiting anything)
  link.isConnected = true;
  await reporter.publishNow();
  await reporter.publishNow();
  assert.deepEqual(published, ["facefleet/agents/a/health", "facefleet/agents/a/health"]);
});

test("commands keep running and stop() returns while an ack's PUBACK never comes (connection dropped)", async () => {
  // A client whose QoS 1 publishes never complete, as after a dropped connection (mqtt.js keeps them for later).
  const sent: string[] = [];
  const client = Object.assign(new EventEmitter(), {
    subscribe: () => undefined,
    publish: (_topic: string, payload: string) => {
      sent.push((JSON.parse(payload) as { id: string }).id);
    },
    publishAsync: (_topic: string, payload: string) => {
      sent.push((JSON.parse(payload) as { id: string }).id);
      return new Promise<never>(() => {});
    },
  });
  const ran: string[] = [];
  const listener = new CommandListener(
    client as unknown as ConstructorParameters<typeof CommandListener>[0],
    "pi-1",
    {
      drain: (c) => {
        ran.push(c.id);
        return "drained";
      },
      undrain: (c) => {
        ran.push(c.id);
        return "undrained";
      },
    },
    () => {},
  );
  await listener.start();
  const command = (id: string, name: string) => JSON.stringify({ schemaVersion: 1, id, command: name, issuedAt: Date.now() });
  client.emit("message", "facefleet/agents/pi-1/cmd", Buffer.from(command("a", "drain")));
  client.emit("message", "facefleet/agents/pi-1/cmd", Buffer.from(command("b", "undrain")));
  const stopped = await Promise.race([listener.stop().then(() => "stopped"), new Promise((r) => setTimeout(r, 2000, "hung"))]);
  assert.equal(stopped, "stopped");
  assert.deepEqual(ran, ["a", "b"], "the second command ran although the first ack was never acknowledged");
  assert.deepEqual(sent, ["a", "b"]);
});
