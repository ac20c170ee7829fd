/** The agent-side MQTT scenario run against each broker (embedded aedes, Mosquitto). */
import assert from "node:assert/strict";
import { type AgentMqtt, startAgentMqtt } from "../../agent/health/agent-mqtt.js";
import { agentMqttSettingsSchema } from "../../agent/health/mqtt-settings.js";
import { WorkerStats } from "../../agent/worker/stats.js";
import { COMMAND_SCHEMA_VERSION, commandAckSchema } from "../../protocol/command.js";
import { agentHealthSchema } from "../../protocol/health.js";
import { mqttTopics } from "../../protocol/mqtt-topics.js";
import { connectOnce, Recorder, within } from "./mqtt-helpers.js";

export type Auth = { username: string; password: string };

function agentStats(agentId: string): WorkerStats {
  const stats = new WorkerStats(agentId);
  stats.ownedPartitions = [0, 3];
  stats.galleryVersion = 4;
  for (let i = 0; i < 20; i++) {
    stats.frameIn();
    stats.frameOut({ queue: 5, decode: 4, detect: 20, embed: 10, total: 45 }, true, 0);
  }
  return stats;
}

function start(url: string, auth: Auth, agentId: string, stats: WorkerStats, drains: string[]): Promise<AgentMqtt> {
  return startAgentMqtt({
    agentId,
    settings: agentMqttSettingsSchema.parse({ url, ...auth, healthIntervalMs: 250, keepaliveS: 2, reconnectMs: 200 }),
    framesTopic: "facefleet.frames",
    stats: () => stats.snapshot(),
    framesIn: () => stats.framesIn,
    models: () => [
      { role: "detector", model: "scrfd-500m", provider: "cpu", sha256: "a".repeat(64) },
      { role: "embedder", model: "mobilefacenet", provider: "cpu", sha256: "b".repeat(64) },
    ],
    lag: () => new Map([[3, 12]]),
    handlers: {
      drain: (command) => {
        drains.push(command.id);
        return "drained: partitions will be handed over";
      },
    },
    log: () => {},
  });
}

/** `auth`: the agent's account; `observer`: the coordinator's (it reads every topic of the agent and sends commands). */
export async function reporterScenario(url: string, auth: Auth, agentId: string, observer: Auth = auth): Promise<void> {
  const recorder = await within("recorder start", Recorder.start(url, observer, [`facefleet/agents/${agentId}/#`]));
  const statusIs = (payload: string) => (m: { topic: string; payload: string }) =>
    m.topic === mqttTopics.status(agentId) && m.payload === payload;
  const stats = agentStats(agentId);
  const drains: string[] = [];
  let agent = await within("agent start", start(url, auth, agentId, stats, drains));
  try {
    await recorder.waitFor(statusIs("online"), 10_000, "status online");

    // Health: valid by the schema, every few hundred ms, with the worker's figures.
    const healths: ReturnType<typeof agentHealthSchema.parse>[] = [];
    for (let i = 0; i < 2; i++) {
      const m = await recorder.next((x) => x.topic === mqttTopics.health(agentId), 10_000, "a health report");
      healths.push(agentHealthSchema.parse(JSON.parse(m.payload)));
    }
    const health = healths[1] as (typeof healths)[number];
    assert.equal(health.agentId, agentId);
    assert.ok(health.cpu.loadPerCore.length > 0, "load per core");
    assert.ok(health.memory.totalMiB > 0);
    assert.deepEqual(health.partitions, [
      { topic: "facefleet.frames", partition: 0, lag: null },
      { topic: "facefleet.frames", partition: 3, lag: 12 },
    ]);
    assert.equal(health.galleryVersion, 4);
    assert.equal(health.latencyMs.total?.p50, 45);
    assert.equal(health.capacityFps, 22.2, "1000 / 45 ms (total is processing only; the queue wait is not in it)");
    assert.equal(health.models.length, 2);
    assert.equal(health.drained, false);
    assert.equal(health.device.accelerator, null);

    // Commands and their acks.
    const ack = async (payload: string, id: string) => {
      const waiting = recorder.next(
        (m) => m.topic === mqttTopics.commandAck(agentId) && (JSON.parse(m.payload) as { id: string }).id === id,
        10_000,
        `the ack of ${id}`,
      );
      await within(`publish ${id}`, recorder.client.publishAsync(mqttTopics.command(agentId), payload, { qos: 1 }));
      return commandAckSchema.parse(JSON.parse((await waiting).payload));
    };
    const command = (id: string, name: string) =>
      JSON.stringify({ schemaVersion: COMMAND_SCHEMA_VERSION, id, command: name, issuedAt: Date.now() });

    const drained = await ack(command("c1", "drain"), "c1");
    assert.deepEqual([drained.ok, drained.agentId, drained.message], [true, agentId, "drained: partitions will be handed over"]);
    const afterDrain = await recorder.next(
      (m) => m.topic === mqttTopics.health(agentId) && JSON.parse(m.payload).drained === true,
      10_000,
      "drained in health",
    );
    assert.equal(agentHealthSchema.parse(JSON.parse(afterDrain.payload)).drained, true);
    const again = await ack(command("c1", "drain"), "c1");
    assert.equal(again.ok, true);
    assert.deepEqual(drains, ["c1"], "a redelivered command id runs once");

    const bad = await ack(command("c2", "explode"), "c2");
    assert.equal(bad.ok, false);
    assert.match(bad.message, /^command: /);
    const noDate = await ack(JSON.stringify({ schemaVersion: COMMAND_SCHEMA_VERSION, id: "c3", command: "drain" }), "c3");
    assert.equal(noDate.ok, false);
    assert.match(noDate.message, /^issuedAt: /);
    const notJson = await ack("{drain", "unknown");
    assert.deepEqual([notJson.ok, notJson.message], [false, "(root): not JSON"]);
    const unsupported = await ack(command("c4", "restart-capture"), "c4");
    assert.deepEqual([unsupported.ok, unsupported.message], [false, "restart-capture: not supported by this agent"]);
    const undrained = await ack(command("c5", "undrain"), "c5");
    assert.deepEqual([undrained.ok, undrained.message], [true, "undrained"]);
    assert.equal(agent.drained, false);

    // A crash: the connection drops without DISCONNECT, the broker publishes the last will.
    const will = recorder.next(statusIs("offline"), 15_000, "the last will (offline)");
    agent.link.client.end(true);
    await will;
    await within("close after the crash", agent.close());
    const late = await within("late recorder start", Recorder.start(url, observer, [mqttTopics.status(agentId)]));
    const retained = await late.waitFor((m) => m.topic === mqttTopics.status(agentId), 5000, "the retained status");
    assert.deepEqual([retained.payload, retained.retain], ["offline", true]);
    await within("late recorder close", late.close());

    // Back again, then a graceful stop: online, then a clean offline (retained).
    agent = await within("agent restart", start(url, auth, agentId, stats, drains));
    await recorder.next(statusIs("online"), 10_000, "online after the restart");
    const offline = recorder.next(statusIs("offline"), 10_000, "offline on a graceful stop");
    await within("graceful close", agent.close());
    await offline;
    const check = await within("check connect", connectOnce(url, observer));
    const last = new Recorder(check);
    await within("check subscribe", check.subscribeAsync(mqttTopics.status(agentId)));
    assert.equal((await last.waitFor(() => true, 5000, "the retained status")).payload, "offline");
    await within("check end", check.endAsync());
  } finally {
    // Never masks the scenario's own failure: a cleanup that hangs is reported beside it.
    const cleanup = (e: Error) => process.stderr.write(`reporter scenario cleanup: ${e.message}\n`);
    await within("final agent close", agent.close()).catch(cleanup);
    await within("recorder close", recorder.close()).catch(cleanup);
  }
}
