/** The coordinator's embedded broker (aedes): authentication, generated credentials, retained messages across a restart. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, test } from "node:test";
import { parseEmbeddedBrokerConfig } from "../../coordinator/mqtt/broker-config.js";
import { CREDENTIALS_FILE } from "../../coordinator/mqtt/credentials.js";
import { RETAINED_FILE, startEmbeddedBroker } from "../../coordinator/mqtt/embedded-broker.js";
import { connectOnce, Recorder, tempDir } from "./mqtt-helpers.js";

const state = tempDir("facefleet-mqtt-broker-");
after(() => state.remove());

test("config errors are one line naming the field", () => {
  assert.throws(() => parseEmbeddedBrokerConfig({ port: 70_000 }), /^FacefleetError: mqtt\.port: /);
  assert.throws(() => parseEmbeddedBrokerConfig({ password: "short" }), /mqtt\.password: must be at least 8 characters/);
  assert.throws(() => parseEmbeddedBrokerConfig({ tls: { cert: "c.pem" } }), /mqtt\.tls\.key: /);
  assert.throws(() => parseEmbeddedBrokerConfig({ colour: 1 }), /colour/);
  const defaults = parseEmbeddedBrokerConfig(undefined);
  assert.equal(defaults.host, "127.0.0.1");
  assert.equal(defaults.port, 1883);
});

test("refuses an unauthenticated client and a wrong password, accepts the right one", async () => {
  const broker = await startEmbeddedBroker({
    port: 18831,
    username: "fleet",
    password: "correct-horse",
    stateDir: state.dir,
    log: () => {},
  });
  try {
    assert.equal(broker.url, "mqtt://127.0.0.1:18831");
    await assert.rejects(connectOnce(broker.url), (e: Error & { code?: number }) => e.code === 4 || e.code === 5);
    await assert.rejects(
      connectOnce(broker.url, { username: "fleet", password: "wrong-horse" }),
      (e: Error & { code?: number }) => e.code === 4,
    );
    await assert.rejects(
      connectOnce(broker.url, { username: "other", password: "correct-horse" }),
      (e: Error & { code?: number }) => e.code === 4,
    );
    const client = await connectOnce(broker.url, { username: "fleet", password: "correct-horse" });
    assert.equal(client.connected, true);
    await client.endAsync();
  } finally {
    await broker.close();
  }
});

test("generates a password on first run (mode 600, printed once) and reuses it", async () => {
  const dir = join(state.dir, "generated");
  const lines: string[] = [];
  const first = await startEmbeddedBroker({ port: 18832, stateDir: dir, log: (l) => lines.push(l) });
  const file = join(dir, CREDENTIALS_FILE);
  try {
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const stored = JSON.parse(readFileSync(file, "utf8")) as { username: string; password: string };
    assert.equal(stored.username, "facefleet");
    assert.equal(stored.password, first.password);
    assert.equal(lines.filter((l) => l.includes(first.password)).length, 1);
    const client = await connectOnce(first.url, { username: "facefleet", password: first.password });
    await client.endAsync();
  } finally {
    await first.close();
  }
  const again: string[] = [];
  const second = await startEmbeddedBroker({ port: 18832, stateDir: dir, log: (l) => again.push(l) });
  try {
    assert.equal(second.password, first.password);
    assert.equal(again.filter((l) => l.includes(first.password)).length, 0, "printed only on the run that generated it");
  } finally {
    await second.close();
  }
});

test("retained messages survive a broker restart; a cleared one stays cleared", async () => {
  const dir = join(state.dir, "retained");
  const auth = { username: "facefleet", password: "retained-secret" };
  const options = { port: 18833, stateDir: dir, ...auth, log: () => {} };
  let broker = await startEmbeddedBroker(options);
  try {
    const publisher = await connectOnce(broker.url, broker.coordinator);
    await publisher.publishAsync("facefleet/plan", JSON.stringify({ version: 7 }), { qos: 1, retain: true });
    await publisher.publishAsync("facefleet/agents/a1/status", "online", { qos: 1, retain: true });
    await publisher.publishAsync("facefleet/agents/a2/status", "offline", { qos: 1, retain: true });
    await publisher.publishAsync("facefleet/agents/a2/status", "", { qos: 1, retain: true }); // cleared
    await publisher.publishAsync("facefleet/events/door", "not retained", { qos: 1 });
    await publisher.endAsync();
  } finally {
    await broker.close();
  }
  const saved = JSON.parse(readFileSync(join(dir, RETAINED_FILE), "utf8")) as { messages: { topic: string }[] };
  assert.deepEqual(saved.messages.map((m) => m.topic).sort(), ["facefleet/agents/a1/status", "facefleet/plan"]);

  broker = await startEmbeddedBroker(options);
  try {
    const recorder = await Recorder.start(broker.url, broker.coordinator, ["facefleet/#"]);
    const plan = await recorder.waitFor((m) => m.topic === "facefleet/plan", 5000, "the retained plan");
    assert.deepEqual(JSON.parse(plan.payload), { version: 7 });
    assert.equal(plan.retain, true);
    const status = await recorder.waitFor((m) => m.topic === "facefleet/agents/a1/status", 5000, "a1's status");
    assert.equal(status.payload, "online");
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(recorder.messages.length, 2, `only the two retained messages: ${JSON.stringify(recorder.messages)}`);
    await recorder.close();
  } finally {
    await broker.close();
  }
});

test("TLS when a cert/key is configured (mqtts://)", async () => {
  const dir = join(state.dir, "tls");
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, "cert.pem");
  const key = join(dir, "key.pem");
  // A self-signed certificate for 127.0.0.1 (openssl is in every Debian base image).
  execFileSync(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      key,
      "-out",
      cert,
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
    ],
    { stdio: "pipe" },
  );
  const auth = { username: "facefleet", password: "tls-test-secret" };
  const broker = await startEmbeddedBroker({ port: 18836, stateDir: dir, ...auth, tls: { cert, key }, log: () => {} });
  try {
    assert.equal(broker.url, "mqtts://127.0.0.1:18836");
    await assert.rejects(connectOnce(broker.url, auth), "an unknown CA is refused by the client");
    const client = await connectOnce(broker.url, { ...auth, ca: readFileSync(cert) });
    assert.equal(client.connected, true);
    await client.endAsync();
    await assert.rejects(
      connectOnce(broker.url, { ca: readFileSync(cert) }),
      (e: Error & { code?: number }) => e.code === 4 || e.code === 5,
    );
  } finally {
    await broker.close();
  }
});
