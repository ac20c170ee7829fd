/**
 * No secret in logs: a real `facefleet coordinator` (Kafka from the jars on 28093, MQTT 28193, HTTP 28293) with a
 * known API token, dashboard password and embedded-broker password, a named API token and a per-agent MQTT
 * credential in its state dir, and a real `facefleet agent` that logs in with that credential written into its
 * broker URL (mqtt://agent-s:<password>@…) and captures an RTSP camera whose URL carries a password (nothing listens
 * there: ffmpeg fails and the agent retries, logging why). Through start-up, a password login, a failed password
 * login (a near miss of the real one), a failed token login, a named token's login and bearer use, a wrong bearer,
 * audited changes made with the session and with the token, an MQTT login with a wrong password, and a stop (SIGTERM),
 * everything both processes write to stdout and stderr is kept, and no secret (the session's id included) appears in
 * it: as given, URL-encoded, or base64 (a Basic header).
 * The state files on disk (tokens, MQTT accounts, the audit log, …) hold hashes and digests, not the secrets.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import mqtt from "mqtt";
import { agentCredentialsFile, issueAgentCredential } from "../../coordinator/mqtt/agent-credentials.js";
import { apiTokensFile, createApiToken } from "../../coordinator/state/api-tokens.js";
import {
  CoordinatorApi,
  type FleetPorts,
  FleetProcess,
  waitForAsync,
  writeAgentConfig,
  writeCoordinatorConfig,
} from "../../testing/fleet.js";
import { createPlanTopic, createTopics, startBroker } from "../../testing/kafka-harness.js";
import { useTestModels } from "../../testing/paths.js";

useTestModels();
const AGENT = "agent-s";
const API_TOKEN = "tok-api-5e1d7a2f9c4b8e03";
const DASHBOARD_PASSWORD = "pw-dash-81c4e6b2a7f3";
const MQTT_PASSWORD = "pw-mqtt-3b9f27d1c6e4";
const AGENT_PASSWORD = "pw-agent-7d2e9a4c1f8b";
const CAMERA_PASSWORD = "pw-rtsp-c3a81f5e9d27";
/** Wrong ones, close to the real ones (a typo of a password is nearly the password). */
const NEAR_MISS_PASSWORD = "pw-dash-81c4e6b2a7f4";
const WRONG_TOKEN = "fft_000000000000_wrong-token-4f9a1c7e2b5d8e3a";
const WRONG_MQTT_PASSWORD = "pw-agent-7d2e9a4c1f8c";

/** Every form of a secret that would give it away: as given, URL-encoded, base64 of it and of user:secret. */
function forms(secret: string): string[] {
  return [secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64"), Buffer.from(`${AGENT}:${secret}`).toString("base64")];
}

/** The files under `dir`, recursively. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? filesUnder(file) : [file];
  });
}

test("no secret in the coordinator's and the agent's output, from start to stop; hashes on disk", { timeout: 420_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-secrets-"));
  const broker = await startBroker(28093);
  const processes: FleetProcess[] = [];
  /** Everything each process wrote, raw (partial last lines too). */
  const output = new Map<string, string>();
  let passed = false;
  t.after(async () => {
    if (!passed) process.stderr.write(`${processes.map((p) => p.dump(80)).join("\n")}\n`);
    await Promise.all(processes.map((p) => p.stop(5000)));
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  const start = (name: string, args: string[]) => {
    const p = new FleetProcess(name, args);
    output.set(name, "");
    const keep = (chunk: Buffer) => output.set(name, (output.get(name) ?? "") + chunk.toString("utf8"));
    p.child.stdout?.on("data", keep);
    p.child.stderr?.on("data", keep);
    processes.push(p);
    return p;
  };
  await createTopics(broker.kafka, 2);
  await createPlanTopic(broker.kafka);

  const ports: FleetPorts = { bootstrap: broker.bootstrap, mqttPort: 28193, httpPort: 28293 };
  const stateDir = path.join(dir, "coordinator-state");
  assert.equal(await issueAgentCredential(stateDir, AGENT, AGENT_PASSWORD), AGENT_PASSWORD);
  const { token: namedToken } = await createApiToken(stateDir, { name: "wall-screen", role: "viewer" });
  const namedSecret = namedToken.split("_").slice(2).join("_");
  const secrets: Record<string, string> = {
    "API token": API_TOKEN,
    "dashboard password": DASHBOARD_PASSWORD,
    "MQTT password": MQTT_PASSWORD,
    "agent MQTT password": AGENT_PASSWORD,
    "camera password": CAMERA_PASSWORD,
    "named token": namedToken,
    "named token's secret": namedSecret,
    "near-miss password": NEAR_MISS_PASSWORD,
    "wrong token": WRONG_TOKEN,
    "wrong MQTT password": WRONG_MQTT_PASSWORD,
  };

  const coordinatorConfig = writeCoordinatorConfig(dir, ports, {
    mqtt: { embedded: { host: "127.0.0.1", port: ports.mqttPort, password: MQTT_PASSWORD } },
    http: { host: "127.0.0.1", port: ports.httpPort, token: API_TOKEN, password: DASHBOARD_PASSWORD },
  });
  const agentConfigFile = writeAgentConfig(dir, AGENT, ports);
  const agentConfig = JSON.parse(readFileSync(agentConfigFile, "utf8")) as { mqtt: Record<string, unknown> } & Record<string, unknown>;
  const { username: _u, password: _p, ...mqttSettings } = agentConfig.mqtt;
  agentConfig.mqtt = { ...mqttSettings, url: `mqtt://${AGENT}:${AGENT_PASSWORD}@127.0.0.1:${ports.mqttPort}` };
  agentConfig.roles = {
    inference: true,
    capture: [{ camera: "door", source: `rtsp://cam:${CAMERA_PASSWORD}@127.0.0.1:28099/stream`, fps: 1 }],
  };
  agentConfig.capture = { stateDir: path.join(dir, "agent-capture") };
  writeFileSync(agentConfigFile, JSON.stringify(agentConfig, null, 2));

  const coordinator = start("coordinator", ["coordinator", "--config", coordinatorConfig]);
  const agent = start(AGENT, ["agent", "--config", agentConfigFile]);
  const api = new CoordinatorApi(`http://127.0.0.1:${ports.httpPort}`, API_TOKEN);
  const check = (what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 120_000) =>
    waitForAsync(what, predicate, timeoutMs);
  await check("the coordinator's API", () => api.reachable());
  await check("the agent online, logged in with its own MQTT account", async () =>
    (await api.agents()).some((a) => a.id === AGENT && a.online),
  );
  await check(
    "the camera failed and is retried (a log line says why)",
    () => agent.find(/capture door: rtsp .*reconnecting/) !== undefined,
  );

  const login = (body: unknown) => api.request("POST", "/api/login", body, null);
  const passwordLogin = await fetch(`${api.baseUrl}/api/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ password: DASHBOARD_PASSWORD }),
  });
  assert.equal(passwordLogin.status, 200);
  const cookie = (passwordLogin.headers.get("set-cookie") ?? "").split(";", 1)[0] ?? "";
  const sessionId = cookie.split("=")[1] ?? "";
  assert.ok(sessionId.length >= 32, "a session cookie");
  secrets["session id"] = sessionId;
  // Audited changes (<stateDir>/audit.jsonl names who made them): one with the session, one with the API token.
  const created = await fetch(`${api.baseUrl}/api/people`, {
    method: "POST",
    headers: { "content-type": "application/json", cookie },
    body: JSON.stringify({ name: "Ada Lovelace" }),
  });
  assert.equal(created.status, 200);
  assert.equal((await api.request("DELETE", `/api/people/${encodeURIComponent("Ada Lovelace")}`)).status, 200);
  assert.equal((await login({ password: NEAR_MISS_PASSWORD })).status, 401);
  assert.equal((await login({ token: WRONG_TOKEN })).status, 401);
  assert.deepEqual((await login({ token: namedToken })).json, { ok: true, role: "viewer" });
  assert.equal((await api.request("GET", "/api/agents", undefined, namedToken)).status, 200);
  assert.equal((await api.request("GET", "/metrics", undefined, namedToken)).status, 200);
  assert.equal((await api.request("GET", "/api/agents", undefined, WRONG_TOKEN)).status, 401);
  assert.equal((await api.request("POST", `/api/agents/${AGENT}/drain`, undefined, namedToken)).status, 403);
  // An MQTT login with a wrong password: refused, and the broker logs it.
  const refused = await new Promise<string>((resolve) => {
    const client = mqtt.connect(`mqtt://127.0.0.1:${ports.mqttPort}`, {
      username: AGENT,
      password: WRONG_MQTT_PASSWORD,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
    });
    client.on("error", (error) => {
      client.end(true);
      resolve(error.message);
    });
    client.on("connect", () => {
      client.end(true);
      resolve("connected");
    });
  });
  assert.notEqual(refused, "connected", "a wrong MQTT password is refused");
  await check("the broker logged the refused login", () => coordinator.find(/refused a login as 'agent-s'/) !== undefined, 30_000);

  await agent.stop(15_000);
  await coordinator.stop(15_000);

  // The run did what it says (so that the check below is not vacuous).
  assert.ok(coordinator.find(new RegExp(`agent ${AGENT} online`)), "the coordinator saw the agent");
  assert.ok(agent.find(/mqtt: connected to mqtt:\/\/agent-s:\*\*\*@/), "the agent logged its broker URL, redacted");
  const everything = [...output.entries()];
  for (const [name, text] of everything) {
    assert.ok(text.length > 0, `${name} wrote something`);
    for (const [what, secret] of Object.entries(secrets))
      for (const form of forms(secret)) {
        const at = text.indexOf(form);
        assert.equal(at, -1, `${name}'s output has the ${what}: …${text.slice(Math.max(0, at - 80), at + form.length + 20)}…`);
      }
  }

  // On disk: hashes only, in every file of the coordinator's state dir (api-tokens.json, mqtt-agents.json, …).
  const stored = filesUnder(stateDir);
  for (const file of [apiTokensFile(stateDir), agentCredentialsFile(stateDir), path.join(stateDir, "audit.jsonl")])
    assert.ok(stored.includes(file), `${file} exists`);
  for (const file of stored) {
    const text = readFileSync(file).toString("latin1");
    for (const [what, secret] of Object.entries(secrets))
      assert.ok(!text.includes(secret), `${path.relative(dir, file)} holds the ${what} in the clear`);
  }
  assert.match(readFileSync(apiTokensFile(stateDir), "utf8"), /"hash": ?"sha256\$/, "the named token's SHA-256 hash");
  assert.match(readFileSync(agentCredentialsFile(stateDir), "utf8"), /"hash": ?"scrypt\$/, "the agent password's scrypt hash");
  passed = true;
});

test("a Kafka SCRAM password never appears in a config error, from the config file or a credentials file", async () => {
  const { loadKafkaConfig } = await import("../../cli/kafka-config-options.js");
  const { parseAgentConfig } = await import("../../agent/config.js");
  const { parseCoordinatorConfig } = await import("../../coordinator/config.js");
  const SCRAM_PASSWORD = "pw-scram-9f3c1e7a5b2d4c8e";
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-scram-"));
  try {
    const message = (fn: () => unknown): string => {
      try {
        fn();
      } catch (error) {
        return (error as Error).message;
      }
      assert.fail("expected an error");
    };
    const sasl = { mechanism: "scram-sha-1", username: "facefleet", password: SCRAM_PASSWORD };
    const configFile = path.join(dir, "bad.json");
    writeFileSync(configFile, JSON.stringify({ kafka: { sasl } }));
    const credentialsFile = path.join(dir, "credentials.json");
    writeFileSync(credentialsFile, JSON.stringify({ ssl: { ca: "ca.pem" }, sasl }));
    const errors = [
      [message(() => loadKafkaConfig({ config: configFile })), /kafka\.sasl\.mechanism/],
      [message(() => loadKafkaConfig({ "kafka-credentials": credentialsFile })), /kafka\.credentials .*credentials\.json: sasl\.mechanism/],
      [message(() => parseAgentConfig({ agentId: "a", kafka: { sasl } })), /kafka\.sasl\.mechanism/],
      [message(() => parseAgentConfig({ agentId: "a", kafka: { credentials: credentialsFile } })), /sasl\.mechanism/],
      [message(() => parseCoordinatorConfig({ kafka: { credentials: credentialsFile } })), /sasl\.mechanism/],
      [
        message(() => parseCoordinatorConfig({ kafka: { credentials: path.join(dir, "missing.json") } })),
        /kafka\.credentials: cannot read .*ENOENT/,
      ],
    ] as const;
    for (const [text, names] of errors) {
      assert.match(text, names);
      for (const form of [SCRAM_PASSWORD, encodeURIComponent(SCRAM_PASSWORD), Buffer.from(SCRAM_PASSWORD).toString("base64")])
        assert.ok(!text.includes(form), `the error has the password: ${text}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
