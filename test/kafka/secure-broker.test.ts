/**
 * `facefleet kafka up --secure` for real: Kafka from the jars with a SASL_SSL listener (SCRAM-SHA-512, TLS from
 * the CA it makes) and ACLs, on 32100/32101; the coordinator (MQTT 32110, API 32111) and one `facefleet agent`
 * as real processes, pointed at the broker with the generated credentials file (`kafka.credentials` in the
 * coordinator's config, `--kafka-credentials` for the agent and the CLI).
 *
 * Checked: the files it writes and their modes; a plaintext client, a TLS client without SASL and a wrong
 * password are refused; a plain `up` on the secure data dir fails in one line; `topics ensure` as the client
 * user; a frame produced with `facefleet produce` gets a detection on facefleet.detections (read with
 * `facefleet tail`, the client user again); the client user is refused a topic outside `facefleet.`; a third
 * user (created with Kafka's own ConfigCommand and admin.properties) authenticates but is refused by the ACLs;
 * no process printed a SCRAM password.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import kafkajs, { type KafkaConfig } from "kafkajs";
import { runJavaTool } from "../../kafka/local/java.js";
import { kafkaDown, kafkaStatus, kafkaUp } from "../../kafka/local/local-broker.js";
import { resolveKafkaOptions } from "../../kafka/local/options.js";
import { topics } from "../../protocol/topics.js";
import {
  CoordinatorApi,
  type FleetPorts,
  FleetProcess,
  waitForAsync,
  writeAgentConfig,
  writeCoordinatorConfig,
} from "../../testing/fleet.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";

useTestModels();
const { Kafka, logLevel, Partitioners } = kafkajs;
const jarsDir = process.env.FACEFLEET_KAFKA_JARS || path.resolve(".facefleet/kafka/jars");
const PORT = 32100;
const BOOTSTRAP = `127.0.0.1:${PORT}`;

type Creds = { ssl: { ca: string }; sasl: { mechanism: "scram-sha-512"; username: string; password: string } };

/** A kafkajs client that fails fast (no retries, short timeouts). */
function client(extra: Pick<KafkaConfig, "ssl" | "sasl"> = {}) {
  return new Kafka({
    clientId: "secure-test",
    brokers: [BOOTSTRAP],
    connectionTimeout: 3000,
    requestTimeout: 5000,
    authenticationTimeout: 5000,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
    ...extra,
  });
}

/** The error of `fn` (with the types of an aggregate's errors: TOPIC_AUTHORIZATION_FAILED…), or "ok". */
async function outcome(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return "ok";
  } catch (error) {
    const e = error as Error & { type?: string; errors?: { type?: string; message?: string }[] };
    const inner = (e.errors ?? []).map((x) => x.type ?? x.message).join(", ");
    return `${e.name}: ${e.message}${e.type ? ` ${e.type}` : ""}${inner ? ` (${inner})` : ""}`;
  }
}

async function describeCluster(kafka: kafkajs.Kafka): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeCluster();
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

test("up --secure on a plaintext data dir fails in one line, exit 1, before anything is made", async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "facefleet-plain-"));
  try {
    // A formatted dir without a security-mode file: made before --secure existed, i.e. plaintext.
    mkdirSync(path.join(dataDir, "data"));
    writeFileSync(path.join(dataDir, "data", "meta.properties"), "version=1\n");
    const run = new FleetProcess("kafka", [
      "kafka",
      "up",
      "--secure",
      "--data-dir",
      dataDir,
      "--port",
      String(PORT),
      "--controller-port",
      String(PORT + 1),
    ]);
    const code = await run.exited;
    assert.equal(code, 1);
    assert.equal(run.lines.length, 1, run.dump());
    assert.match(
      run.lines[0]?.line ?? "",
      /holds a plaintext Kafka .*not switched to SASL_SSL: stop it with 'facefleet kafka down.*--data-dir <a new dir>'/,
    );
    assert.throws(() => statSync(path.join(dataDir, "tls")), { code: "ENOENT" }, "no TLS files made");
    assert.throws(() => statSync(path.join(dataDir, "credentials.json")), { code: "ENOENT" });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("kafka up --secure: SASL_SSL + ACLs; coordinator, agent and CLI connect with the generated credentials", {
  timeout: 240_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-secure-"));
  const dataDir = path.join(dir, "kafka");
  const options = { dataDir, jarsDir, port: PORT, controllerPort: PORT + 1, heap: "384m", secure: true };
  const processes: FleetProcess[] = [];
  let passed = false;
  t.after(async () => {
    if (!passed) process.stderr.write(`${processes.map((p) => p.dump(60)).join("\n")}\n`);
    await Promise.all(processes.map((p) => p.stop(5000)));
    await kafkaDown(options).catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });
  const started = Date.now();
  const up = await kafkaUp(options);
  assert.equal(up.state, "started");
  if (up.state === "started") t.diagnostic(`secure Kafka ${up.version} answered ${up.startupMs} ms after java started`);
  const k = resolveKafkaOptions(options);
  assert.equal(up.secure?.credentialsFile, k.credentialsFile);

  // The files, owner-only where they hold a key or a password.
  const mode = (file: string) => statSync(file).mode & 0o777;
  for (const file of [
    k.credentialsFile,
    k.adminCredentialsFile,
    k.adminProperties,
    k.secretsFile,
    k.serverProperties,
    path.join(k.tlsDir, "broker.p12"),
  ])
    assert.equal(mode(file), 0o600, `${file} is mode 0600`);
  assert.equal(mode(k.tlsDir), 0o700);
  assert.throws(() => statSync(path.join(k.tlsDir, "ca-key.pem")), { code: "ENOENT" }, "the CA key is not kept");
  assert.equal(readFileSync(k.modeFile, "utf8").trim(), "sasl_ssl");
  const creds = JSON.parse(readFileSync(k.credentialsFile, "utf8")) as Creds;
  const adminCreds = JSON.parse(readFileSync(k.adminCredentialsFile, "utf8")) as Creds;
  assert.equal(creds.sasl.mechanism, "scram-sha-512");
  assert.equal(creds.sasl.username, "facefleet");
  assert.equal(creds.ssl.ca, "tls/ca.pem");
  const ca = readFileSync(path.join(dataDir, creds.ssl.ca), "utf8");
  const ssl = { ca: [ca] };
  const status = await kafkaStatus(options);
  assert.equal(status.state, "running");
  assert.equal(status.secure?.credentialsFile, k.credentialsFile);
  const secrets = [creds.sasl.password, adminCreds.sasl.password];
  for (const secret of secrets) assert.ok(!readFileSync(k.logFile, "utf8").includes(secret), "the broker log has no password");

  // Refused: plaintext, TLS without SASL, a wrong password, and a plain `up` on this data dir.
  assert.notEqual(await outcome(() => describeCluster(client())), "ok", "a plaintext client is refused");
  assert.notEqual(await outcome(() => describeCluster(client({ ssl }))), "ok", "TLS without SASL is refused");
  const wrong = await outcome(() => describeCluster(client({ ssl, sasl: { ...creds.sasl, password: `${creds.sasl.password}x` } })));
  assert.match(wrong, /SASL|authentication/i, "a wrong password is refused");
  await assert.rejects(kafkaUp({ ...options, secure: false }), /holds a SASL_SSL Kafka .*add --secure/);
  await describeCluster(client({ ssl, sasl: creds.sasl }));

  // The CLI as the client user: topics.
  const cli = async (name: string, args: string[]) => {
    const p = new FleetProcess(name, args);
    processes.push(p);
    return { code: await p.exited, p };
  };
  const withCreds = ["--brokers", BOOTSTRAP, "--kafka-credentials", k.credentialsFile];
  const ensure = await cli("topics", ["topics", "ensure", ...withCreds, "--frames-partitions", "1"]);
  assert.equal(ensure.code, 0, ensure.p.dump());
  assert.ok(ensure.p.find(/created facefleet\.plan/), "topics ensure created the topics");

  // The coordinator (kafka.credentials in its config) and one agent (--kafka-credentials).
  const ports: FleetPorts = { bootstrap: BOOTSTRAP, mqttPort: 32110, httpPort: 32111 };
  const coordinatorConfig = writeCoordinatorConfig(dir, ports, {
    kafka: { brokers: [BOOTSTRAP], clientId: "coordinator", credentials: k.credentialsFile },
  });
  const agentConfig = writeAgentConfig(dir, "agent-s", ports);
  const coordinator = new FleetProcess("coordinator", ["coordinator", "--config", coordinatorConfig]);
  processes.push(coordinator);
  const agent = new FleetProcess("agent-s", ["agent", "--config", agentConfig, "--kafka-credentials", k.credentialsFile]);
  processes.push(agent);
  const api = new CoordinatorApi(`http://127.0.0.1:${ports.httpPort}`);
  await waitForAsync("the coordinator's API", () => api.reachable(), 30_000);
  await waitForAsync(
    "the agent online and owning partition 0 by the plan",
    async () =>
      (await api.agents()).some((a) => a.id === "agent-s" && a.online && (a.health?.partitions ?? []).some((p) => p.partition === 0)),
    60_000,
  );

  // A frame with the CLI, its detection read back with the CLI.
  const pictures = path.join(dir, "pictures");
  mkdirSync(pictures);
  copyFileSync(exampleImage("obama_small.jpg"), path.join(pictures, "obama.jpg"));
  const produce = await cli("produce", [
    "produce",
    "--camera",
    "door",
    "--source",
    pictures,
    "--max-frames",
    "1",
    "--fps",
    "5",
    "--state-dir",
    path.join(dir, "produce-state"),
    "--progress-every",
    "0",
    ...withCreds,
  ]);
  assert.equal(produce.code, 0, produce.p.dump());
  const tail = new FleetProcess("tail", ["tail", "detections", "--from-beginning", "--count", "1", "--camera", "door", ...withCreds]);
  processes.push(tail);
  const timer = setTimeout(() => tail.kill("SIGTERM"), 45_000);
  const tailCode = await tail.exited;
  clearTimeout(timer);
  assert.equal(tailCode, 0, tail.dump());
  const detection = tail.lines.map((l) => l.line).find((l) => l.startsWith("{"));
  assert.ok(detection, "a detection record");
  const record = JSON.parse(detection) as { camera: string; agent: string; faces: unknown[] };
  assert.equal(record.camera, "door");
  assert.equal(record.agent, "agent-s");
  assert.ok(record.faces.length >= 1, "the face was found");

  // ACLs: the client user stays inside facefleet.*; a third user gets nothing.
  const asClient = client({ ssl, sasl: creds.sasl });
  const clientAdmin = asClient.admin();
  await clientAdmin.connect();
  const outside = await outcome(() => clientAdmin.createTopics({ topics: [{ topic: "not-facefleet", numPartitions: 1 }] }));
  await clientAdmin.disconnect();
  assert.match(outside, /authoriz/i, "the client user may not create a topic outside facefleet.");
  const mallory = { mechanism: "scram-sha-512" as const, username: "mallory", password: "mallory-password-0123456789" };
  await runJavaTool(jarsDir, k.log4jProperties, [
    "kafka.admin.ConfigCommand",
    "--bootstrap-server",
    BOOTSTRAP,
    "--command-config",
    k.adminProperties,
    "--alter",
    "--entity-type",
    "users",
    "--entity-name",
    mallory.username,
    "--add-config",
    `SCRAM-SHA-512=[password=${mallory.password}]`,
  ]);
  const asMallory = client({ ssl, sasl: mallory });
  await waitForAsync(
    "mallory can log in (an authenticated user)",
    async () => (await outcome(() => describeCluster(asMallory))) === "ok",
    15_000,
  );
  const producer = asMallory.producer({ createPartitioner: Partitioners.DefaultPartitioner, retry: { retries: 0 } });
  await producer.connect();
  const write = await outcome(() => producer.send({ topic: topics.frames, messages: [{ key: "door", value: "x" }] }));
  await producer.disconnect();
  assert.match(write, /authoriz/i, "an unknown user may not write facefleet.frames");
  const malloryAdmin = asMallory.admin();
  await malloryAdmin.connect();
  assert.deepEqual(await malloryAdmin.listTopics(), [], "an unknown user sees no topic");
  // The agents' group: the client user may describe it, mallory may not. (kafkajs turns FindCoordinator's
  // GROUP_AUTHORIZATION_FAILED into "Failed to find group coordinator", so the two outcomes are compared.)
  // (listTopics first: kafkajs's admin has no broker in its pool until a metadata request fills it.)
  const describeGroup = (admin: kafkajs.Admin) =>
    outcome(async () => {
      await admin.listTopics();
      return admin.describeGroups(["facefleet-inference"]);
    });
  const malloryGroup = await describeGroup(malloryAdmin);
  await malloryAdmin.disconnect();
  const clientAdmin2 = asClient.admin();
  await clientAdmin2.connect();
  const clientGroup = await describeGroup(clientAdmin2);
  await clientAdmin2.disconnect();
  assert.equal(clientGroup, "ok", "the client user may describe the agents' group");
  assert.notEqual(malloryGroup, "ok", "an unknown user may not describe the agents' group");

  // No SCRAM password in anything a facefleet process printed.
  await agent.stop(15_000);
  await coordinator.stop(15_000);
  for (const p of processes)
    for (const secret of secrets)
      for (const form of [secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")])
        assert.ok(!p.lines.some((l) => l.line.includes(form)), `${p.name}'s output has a SCRAM password`);
  t.diagnostic(`whole test ${Date.now() - started} ms`);
  passed = true;
});
