/**
 * ACLs of the coordinator's embedded broker (real aedes, real mqtt.js clients): an agent on its own credential
 * publishes only under its own id and reads only its commands, the plan and live-view; the coordinator reads
 * everything; the shared credential in each of its modes; a revoked credential loses its connection.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { after, test } from "node:test";
import { issueAgentCredential, revokeAgentCredential } from "../../coordinator/mqtt/agent-credentials.js";
import { startEmbeddedBroker } from "../../coordinator/mqtt/embedded-broker.js";
import { mqttTopics } from "../../protocol/mqtt-topics.js";
import { repoRoot } from "../../testing/paths.js";
import { connectOnce, Recorder, tempDir, within } from "./mqtt-helpers.js";

const state = tempDir("facefleet-mqtt-acl-");
after(() => state.remove());
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bin = join(repoRoot, "bin", "facefleet.js");

/** The granted QoS per filter of one SUBSCRIBE (128: refused). */
async function granted(client: Recorder, filters: string[]): Promise<number[]> {
  try {
    const grants = await client.client.subscribeAsync(filters, { qos: 1 });
    return grants.map((g) => g.qos);
  } catch (error) {
    // mqtt.js rejects a SUBACK with any refused filter; the packet still says which.
    const packet = (error as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw error;
    return packet.granted;
  }
}

test("an agent on its own credential: its own topics only; the coordinator still gets its health", async () => {
  const dir = join(state.dir, "own");
  // Issued by the CLI (what an operator runs); the password is printed once on stdout.
  const pi1 = execFileSync(process.execPath, [bin, "agent-credentials", "add", "pi-1", "--state-dir", dir], { encoding: "utf8" }).trim();
  const pi2 = await issueAgentCredential(dir, "pi-2");
  const listed = JSON.parse(
    execFileSync(process.execPath, [bin, "agent-credentials", "list", "--json", "--state-dir", dir], { encoding: "utf8" }),
  ) as { agents: { agentId: string }[] };
  assert.deepEqual(listed.agents.map((a) => a.agentId).sort(), ["pi-1", "pi-2"]);

  const lines: string[] = [];
  const broker = await startEmbeddedBroker({ port: 24001, stateDir: dir, password: "shared-secret-1", log: (l) => lines.push(l) });
  const clients: Recorder[] = [];
  try {
    const coordinator = await Recorder.start(broker.url, broker.coordinator, ["facefleet/#"]);
    clients.push(coordinator);

    // Wrong passwords: another agent's, a made-up one, an unknown agent.
    for (const [username, password] of [
      ["pi-1", pi2],
      ["pi-1", "not-the-password"],
      ["pi-9", pi1],
    ] as const)
      await assert.rejects(connectOnce(broker.url, { username, password }), (e: Error & { code?: number }) => e.code === 4, username);

    const agent = new Recorder(
      await connectOnce(broker.url, {
        username: "pi-1",
        password: pi1,
        clientId: "facefleet-agent-pi-1",
        will: { topic: mqttTopics.status("pi-1"), payload: Buffer.from("offline"), qos: 1, retain: true },
      }),
    );
    clients.push(agent);
    // Subscriptions: its commands, the plan, live-view yes; anything else refused (SUBACK 128).
    assert.deepEqual(await granted(agent, [mqttTopics.command("pi-1"), mqttTopics.plan, mqttTopics.liveView]), [1, 1, 1]);
    assert.deepEqual(
      await granted(agent, [
        "facefleet/events/door",
        "facefleet/events/+",
        "facefleet/#",
        "#",
        mqttTopics.health("pi-2"),
        mqttTopics.command("pi-2"),
        "facefleet/agents/+/cmd",
        "homeassistant/#",
      ]),
      [128, 128, 128, 128, 128, 128, 128, 128],
    );

    // Its own health reaches the coordinator; a command to it reaches it; the plan too.
    await agent.client.publishAsync(mqttTopics.health("pi-1"), '{"mine":true}', { qos: 1 });
    await coordinator.waitFor((m) => m.topic === mqttTopics.health("pi-1"), 5000, "pi-1's health at the coordinator");
    await coordinator.client.publishAsync(mqttTopics.command("pi-1"), '{"id":"c1"}', { qos: 1 });
    await agent.waitFor((m) => m.topic === mqttTopics.command("pi-1"), 5000, "pi-1's command");
    await coordinator.client.publishAsync(mqttTopics.plan, '{"version":3}', { qos: 1, retain: true });
    await agent.waitFor((m) => m.topic === mqttTopics.plan, 5000, "the plan");
    // Events (people's names) and another agent's command never reach it.
    await coordinator.client.publishAsync(mqttTopics.events("door"), '{"identity":"Alice"}', { qos: 1 });
    await coordinator.client.publishAsync(mqttTopics.command("pi-2"), '{"id":"c2"}', { qos: 1 });

    // Publishing under pi-2's id: not delivered, and the broker drops the connection (MQTT 3.1.1 has no PUBLISH nack).
    const closed = new Promise<void>((resolve) => agent.client.once("close", () => resolve()));
    agent.client.publish(mqttTopics.health("pi-2"), '{"forged":true}', { qos: 1 });
    await within("the broker closing a forging agent", closed, 5000);
    // Its will names its own status: published, as the agent's own.
    await coordinator.waitFor((m) => m.topic === mqttTopics.status("pi-1") && m.payload === "offline", 5000, "pi-1's will");
    await sleep(300);
    assert.equal(coordinator.messages.filter((m) => m.topic === mqttTopics.health("pi-2")).length, 0, "the forged health was delivered");
    assert.deepEqual(
      agent.messages.map((m) => m.topic).sort(),
      [mqttTopics.command("pi-1"), mqttTopics.plan],
      "the agent read only its command and the plan",
    );

    // A forged will (another agent's status) is not published either.
    const forger = new Recorder(
      await connectOnce(broker.url, {
        username: "pi-2",
        password: pi2,
        clientId: "facefleet-agent-pi-2",
        will: { topic: mqttTopics.status("pi-1"), payload: Buffer.from("forged-offline"), qos: 1, retain: true },
      }),
    );
    forger.client.stream.destroy();
    await sleep(1000);
    assert.equal(coordinator.messages.filter((m) => m.payload === "forged-offline").length, 0, "a forged will was delivered");
    assert.ok(
      lines.some((l) => /denied: pi-1 may not publish to facefleet\/agents\/pi-2\/health/.test(l)),
      lines.join("\n"),
    );
    assert.ok(!lines.some((l) => l.includes(pi1) || l.includes(pi2)), "a password in the broker's log");
  } finally {
    for (const c of clients) await c.close();
    await broker.close();
  }
});

test("a revoked credential is refused and its open connection closed; a rotated one replaces the old", async () => {
  const dir = join(state.dir, "revoke");
  const first = await issueAgentCredential(dir, "pi-r");
  const broker = await startEmbeddedBroker({ port: 24002, stateDir: dir, sharedCredential: "off", log: () => {} });
  try {
    const client = await connectOnce(broker.url, { username: "pi-r", password: first, clientId: "facefleet-agent-pi-r" });
    const rotated = await issueAgentCredential(dir, "pi-r");
    await sleep(50);
    await assert.rejects(connectOnce(broker.url, { username: "pi-r", password: first }), (e: Error & { code?: number }) => e.code === 4);
    (await connectOnce(broker.url, { username: "pi-r", password: rotated })).end(true);
    assert.equal(client.connected, true, "a rotation keeps the open connection");
    const closed = new Promise<void>((resolve) => client.once("close", () => resolve()));
    assert.equal(await revokeAgentCredential(dir, "pi-r"), true);
    await within("the revoked agent's connection closed", closed, 8000);
    client.end(true);
    await assert.rejects(connectOnce(broker.url, { username: "pi-r", password: rotated }), (e: Error & { code?: number }) => e.code === 4);
  } finally {
    await broker.close();
  }
});

test("the shared credential: agent rights by its client id (default), everything (full), refused (off)", async () => {
  const auth = { username: "facefleet", password: "shared-secret-2" };
  const dir = join(state.dir, "shared");
  let broker = await startEmbeddedBroker({ port: 24003, stateDir: dir, ...auth, log: () => {} });
  try {
    const coordinator = await Recorder.start(broker.url, broker.coordinator, ["facefleet/#"]);
    const agent = new Recorder(await connectOnce(broker.url, { ...auth, clientId: "facefleet-agent-pi-s" }));
    assert.deepEqual(await granted(agent, [mqttTopics.command("pi-s"), "facefleet/events/+", "facefleet/#"]), [1, 128, 128]);
    await agent.client.publishAsync(mqttTopics.health("pi-s"), "{}", { qos: 1 });
    await coordinator.waitFor((m) => m.topic === mqttTopics.health("pi-s"), 5000, "the shared agent's health");
    const tool = new Recorder(await connectOnce(broker.url, { ...auth, clientId: "some-tool" }));
    assert.deepEqual(await granted(tool, [mqttTopics.plan, "facefleet/events/+"]), [1, 128]);
    await Promise.all([coordinator.close(), agent.close(), tool.close()]);
  } finally {
    await broker.close();
  }
  broker = await startEmbeddedBroker({ port: 24003, stateDir: dir, ...auth, sharedCredential: "full", log: () => {} });
  try {
    const tool = new Recorder(await connectOnce(broker.url, { ...auth, clientId: "home-assistant" }));
    assert.deepEqual(await granted(tool, ["facefleet/#", "homeassistant/#"]), [1, 1]);
    await tool.close();
  } finally {
    await broker.close();
  }
  broker = await startEmbeddedBroker({ port: 24003, stateDir: dir, ...auth, sharedCredential: "off", log: () => {} });
  try {
    await assert.rejects(
      connectOnce(broker.url, { ...auth, clientId: "facefleet-agent-pi-s" }),
      (e: Error & { code?: number }) => e.code === 4,
    );
    const coordinator = await connectOnce(broker.url, broker.coordinator);
    coordinator.end(true);
  } finally {
    await broker.close();
  }
});
