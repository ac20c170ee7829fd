/**
 * Every MQTT topic the coordinator reads (agents/<id>/status, health, cmd/ack: protocol/mqtt-topics.ts) with
 * malformed and oversized payloads, through the real embedded broker to the coordinator's real link
 * (coordinator/mqtt/coordinator-link.ts): seeded random bytes, truncated and wrong-schema JSON, deep nesting,
 * payloads of 2 MB, statuses that are neither online nor offline, health under another agent's id, under
 * hundreds of agent ids. Nothing throws, nothing reaches the fleet, the log stays within its rate limit with
 * every skip counted, and a valid health report afterwards is still taken, as is a valid ack and status.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import mqtt from "mqtt";
import { CoordinatorLink, MAX_PAYLOAD_BYTES } from "../../coordinator/mqtt/coordinator-link.js";
import { startEmbeddedBroker } from "../../coordinator/mqtt/embedded-broker.js";
import { type AgentHealth, HEALTH_SCHEMA_VERSION } from "../../protocol/health.js";
import { mqttTopics } from "../../protocol/mqtt-topics.js";
import { topics } from "../../protocol/topics.js";
import { seededRandom } from "../../testing/frame-fuzz.js";
import { waitFor } from "../../testing/kafka-harness.js";

function health(agentId: string): AgentHealth {
  return {
    schemaVersion: HEALTH_SCHEMA_VERSION,
    agentId,
    time: Date.now(),
    agentVersion: "test",
    device: { model: "test box", arch: "x64", accelerator: null },
    cpu: { loadPerCore: [10, 20], temperatureC: null, throttled: null },
    gpu: null,
    memory: { usedMiB: 100, totalMiB: 1000 },
    disk: null,
    models: [],
    fps: { in: 0, out: 0 },
    latencyMs: { total: { p50: 40, p95: 60 } },
    capacityFps: 25,
    partitions: [{ topic: topics.frames, partition: 0, lag: 0 }],
    galleryVersion: 0,
    drained: false,
    cameras: [],
    inference: true,
  };
}

/** Malformed payloads for one topic kind, from the seed; `definite` of them are invalid whatever the schema allows. */
function badPayloads(random: () => number, valid: string): { payloads: (string | Buffer)[]; definite: number } {
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
  const out: (string | Buffer)[] = [
    "",
    "{",
    "null",
    "[]",
    "42",
    '"online"',
    "{}",
    valid.slice(0, Math.floor(valid.length / 2)),
    `${"[".repeat(100_000)}${"]".repeat(100_000)}`,
    valid.startsWith("{") ? JSON.stringify({ ...JSON.parse(valid), schemaVersion: 999 }) : "ONLINE",
    Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20),
    `{"pad":"${"x".repeat(2 * 1024 * 1024)}"}`,
  ];
  for (let i = 0; i < 40; i++) out.push(bytes(1 + Math.floor(random() * 2000)));
  const definite = out.length;
  for (let i = 0; i < 20 && valid.startsWith("{"); i++) {
    // One field of the valid message replaced by garbage (a long string may still be valid).
    const object = JSON.parse(valid) as Record<string, unknown>;
    const keys = Object.keys(object);
    const key = keys[Math.floor(random() * keys.length)] as string;
    object[key] = [null, -1, "x".repeat(300), { a: [] }, 1e308, true][Math.floor(random() * 6)];
    out.push(JSON.stringify(object));
  }
  return { payloads: out, definite };
}

test("MQTT topics the coordinator reads: malformed and oversized payloads are skipped with a bounded log, valid ones still taken", {
  timeout: 120_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-mqtt-fuzz-"));
  // What the coordinator does with bad payloads that reach it: a broker whose shared account may publish under any
  // agent's id (sharedCredential full). With the default ACLs most of these are refused at the broker already
  // (test/mqtt/broker-acl.test.ts); an agent's own account can still send garbage on its own topics.
  const broker = await startEmbeddedBroker({
    port: 25410,
    password: "mqtt-fuzz-secret",
    sharedCredential: "full",
    stateDir: dir,
    log: () => {},
  });
  const lines: string[] = [];
  const healths: AgentHealth[] = [];
  const statuses: [string, string][] = [];
  // The coordinator's own account (full access), as coordinator/features/mqtt-link.ts connects.
  const link = await CoordinatorLink.connect({
    url: broker.url,
    username: broker.coordinator.username,
    password: broker.coordinator.password,
    log: (line) => lines.push(line),
    onStatus: (agentId, payload) => statuses.push([agentId, payload]),
    onHealth: (h) => healths.push(h),
  });
  const client = await mqtt.connectAsync(broker.url, { username: broker.username, password: broker.password, reconnectPeriod: 0 });
  t.after(async () => {
    await client.endAsync().catch(() => undefined);
    await link.close();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const random = seededRandom(14);
  let definite = 0;
  const validAck = JSON.stringify({ schemaVersion: 1, id: "x", agentId: "fuzz-1", ok: true, message: "drained", time: Date.now() });
  for (const [kind, topic, valid] of [
    ["health", mqttTopics.health("fuzz-1"), JSON.stringify(health("fuzz-1"))],
    ["ack", mqttTopics.commandAck("fuzz-1"), validAck],
    ["status", mqttTopics.status("fuzz-1"), "online"],
  ] as const) {
    const bad = badPayloads(random, valid);
    for (const payload of bad.payloads) await client.publishAsync(topic, payload, { qos: 1 });
    // An empty status clears the retained one: not an error.
    definite += kind === "status" ? bad.definite - 1 : bad.definite;
  }
  // Health under another agent's id, and garbage under hundreds of agent ids (a log flood if each were logged).
  await client.publishAsync(mqttTopics.health("fuzz-2"), JSON.stringify(health("someone-else")), { qos: 1 });
  for (let i = 0; i < 300; i++) await client.publishAsync(mqttTopics.health(`flood-${i}`), `not json ${i}`, { qos: 1 });
  // Delivered in order: once the marker's health is taken, everything before it was handled.
  await client.publishAsync(mqttTopics.health("marker"), JSON.stringify(health("marker")), { qos: 1 });
  await waitFor("the marker health report", () => healths.some((h) => h.agentId === "marker"), 60_000);
  assert.ok(link.invalid.skipped >= definite + 1 + 300, `${link.invalid.skipped} skipped, ${definite + 301} expected`);
  // Only the valid-but-odd mutations of fuzz-1's report may have been taken; no status.
  assert.ok(healths.every((h) => h.agentId === "fuzz-1" || h.agentId === "marker"));
  assert.deepEqual(statuses, []);
  healths.length = 0;
  // At most 10 lines per 10 s; every line short and printable.
  const skipLines = lines.filter((l) => l.startsWith("mqtt: ignored an invalid"));
  assert.ok(skipLines.length >= 3 && skipLines.length <= 20, `${skipLines.length} lines:\n${skipLines.join("\n")}`);
  assert.ok(
    skipLines.every((l) => l.length < 400 && /^[\x20-\x7e…]+$/.test(l)),
    skipLines.join("\n"),
  );
  assert.ok(skipLines.some((l) => /payload of \d+ bytes, more than 262144/.test(l)) || link.invalid.skipped > skipLines.length);

  // The link still works: a valid health report, status and ack are taken.
  await client.publishAsync(mqttTopics.health("fuzz-1"), JSON.stringify(health("fuzz-1")), { qos: 1 });
  await client.publishAsync(mqttTopics.status("fuzz-1"), "online", { qos: 1 });
  await waitFor("the valid health report", () => healths.length === 1 && statuses.length === 1, 10_000);
  assert.ok(
    lines.some((l) => /^mqtt: ignored an invalid health from flood-\d+: .* \(and \d+ more not logged\)$/.test(l)) || lines.length < 20,
  );
  assert.equal((healths as AgentHealth[])[0]?.agentId, "fuzz-1");
  assert.deepEqual(statuses, [["fuzz-1", "online"]]);
  // A command still gets its ack.
  await client.subscribeAsync(mqttTopics.command("fuzz-1"), { qos: 1 });
  client.on("message", (topic, payload) => {
    if (topic !== mqttTopics.command("fuzz-1")) return;
    const { id } = JSON.parse(payload.toString()) as { id: string };
    void client.publishAsync(mqttTopics.commandAck("fuzz-1"), JSON.stringify({ ...JSON.parse(validAck), id }), { qos: 1 });
  });
  const ack = await link.command("fuzz-1", "drain", 10_000);
  assert.equal(ack?.ok, true);
});
