/** deploy/env-config.ts: balena / container environment variables -> agent and coordinator configs. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseAgentConfig } from "../../agent/config.js";
import { parseCoordinatorConfig } from "../../coordinator/config.js";
import { agentConfigFromEnv, coordinatorConfigFromEnv, envConfigMain, readConfigFile } from "../../deploy/env-config.js";

const uuid = "7f3c2a9e1b4d4c6f8a0e5d2b9c1f3a7e";

test("a balena device with nothing set but the fleet's brokers: agentId is the device UUID, inference only", () => {
  const config = agentConfigFromEnv({ BALENA_DEVICE_UUID: uuid, FACEFLEET_KAFKA_BROKERS: "10.0.0.5:9092, 10.0.0.6:9092" });
  assert.deepEqual(config, { agentId: uuid, kafka: { brokers: ["10.0.0.5:9092", "10.0.0.6:9092"] } });
  const parsed = parseAgentConfig(config);
  assert.equal(parsed.roles.inference, true);
  assert.equal(parsed.kafka.clientId, `facefleet-agent-${uuid}`);
  assert.equal(parsed.mqtt, undefined);
});

test("every mapped variable lands in its field", () => {
  const config = agentConfigFromEnv({
    BALENA_DEVICE_UUID: uuid,
    FACEFLEET_AGENT_ID: "door-pi",
    FACEFLEET_KAFKA_BROKERS: "hub:9092",
    FACEFLEET_KAFKA_SSL: "true",
    FACEFLEET_KAFKA_SASL_MECHANISM: "SCRAM-SHA-512",
    FACEFLEET_KAFKA_SASL_USERNAME: "edge",
    FACEFLEET_KAFKA_SASL_PASSWORD: "s3cret",
    FACEFLEET_MQTT_URL: "mqtts://hub:8883",
    FACEFLEET_MQTT_USERNAME: "facefleet",
    FACEFLEET_MQTT_PASSWORD: "mqtt-pass",
    FACEFLEET_HEALTH_INTERVAL_MS: "2000",
    FACEFLEET_CAMERAS: "door=/dev/video0; /dev/video2; yard=rtsp://user:pw@10.0.0.9:554/stream?channel=1",
    FACEFLEET_CAMERA_FPS: "5",
    FACEFLEET_CAMERA_SIZE: "1280x720",
    FACEFLEET_INFERENCE: "no",
    FACEFLEET_EXECUTION_PROVIDER: "cpu",
    FACEFLEET_PRECISION: "int8",
    FACEFLEET_THREADS: "3",
    FACEFLEET_ASSIGNMENT: "plan",
    FACEFLEET_WATCHLIST: "mallory, eve",
    FACEFLEET_STATE_DIR: "/data/facefleet/capture",
  });
  const parsed = parseAgentConfig(config);
  assert.equal(parsed.agentId, "door-pi");
  assert.deepEqual(parsed.kafka.brokers, ["hub:9092"]);
  assert.equal(parsed.kafka.ssl, true);
  assert.deepEqual(parsed.kafka.sasl, { mechanism: "scram-sha-512", username: "edge", password: "s3cret" });
  assert.equal(parsed.mqtt?.url, "mqtts://hub:8883");
  assert.equal(parsed.mqtt?.username, "facefleet");
  assert.equal(parsed.mqtt?.password, "mqtt-pass");
  assert.equal(parsed.mqtt?.healthIntervalMs, 2000);
  assert.deepEqual(
    parsed.roles.capture.map((c) => [c.camera, c.source, c.fps, c.videoSize]),
    [
      ["door", "/dev/video0", 5, "1280x720"],
      ["door-pi-video2", "/dev/video2", 5, "1280x720"],
      ["yard", "rtsp://user:pw@10.0.0.9:554/stream?channel=1", 5, undefined],
    ],
  );
  assert.equal(parsed.roles.inference, false);
  assert.equal(parsed.recognition.executionProvider, "cpu");
  assert.equal(parsed.recognition.precision, "int8");
  assert.equal(parsed.recognition.threads, 3);
  assert.equal(parsed.worker.assignment, "plan");
  assert.deepEqual(parsed.worker.watchlist, ["mallory", "eve"]);
  assert.equal(parsed.capture.stateDir, "/data/facefleet/capture");
});

test("FACEFLEET_AGENT_CONFIG is the base; variables override it; FACEFLEET_CAMERAS may be JSON or none", () => {
  const base = JSON.stringify({
    agentId: "from-base",
    worker: { maxFrameAgeMs: 0 },
    roles: { capture: [{ camera: "c", source: "/dev/video0" }] },
  });
  const config = agentConfigFromEnv({ FACEFLEET_AGENT_CONFIG: base, FACEFLEET_CAMERAS: "none", FACEFLEET_ASSIGNMENT: "plan" });
  const parsed = parseAgentConfig(config);
  assert.equal(parsed.agentId, "from-base");
  assert.equal(parsed.worker.maxFrameAgeMs, 0);
  assert.equal(parsed.worker.assignment, "plan");
  assert.deepEqual(parsed.roles.capture, []);
  const json = agentConfigFromEnv({
    FACEFLEET_AGENT_ID: "a",
    FACEFLEET_CAMERAS: '[{"camera":"lab","source":"/videos/x.mp4","loop":true}]',
  });
  assert.equal(parseAgentConfig(json).roles.capture[0]?.loop, true);
});

test("a wrong variable is one line that names it", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{}, /FACEFLEET_AGENT_ID: not set/],
    [{ FACEFLEET_AGENT_ID: "has space" }, /agentId: .*\(from FACEFLEET_AGENT_ID\)/],
    [{ FACEFLEET_AGENT_ID: "a", FACEFLEET_KAFKA_BROKERS: "hub" }, /kafka\.brokers.*host:port \(from FACEFLEET_KAFKA_BROKERS\)/],
    [{ FACEFLEET_AGENT_ID: "a", FACEFLEET_MQTT_URL: "http://hub" }, /mqtt\.url.*\(from FACEFLEET_MQTT_URL\)/],
    [{ FACEFLEET_AGENT_ID: "a", FACEFLEET_MQTT_PASSWORD: "x" }, /set FACEFLEET_MQTT_URL too/],
    [{ FACEFLEET_AGENT_ID: "a", FACEFLEET_INFERENCE: "maybe" }, /FACEFLEET_INFERENCE: must be true or false/],
    [{ FACEFLEET_AGENT_ID: "a", FACEFLEET_INFERENCE: "false" }, /no role.*\(from FACEFLEET_INFERENCE \/ FACEFLEET_CAMERAS\)/],
    [{ FACEFLEET_AGENT_ID: "a", FACEFLEET_CAMERAS: "a=/dev/video0;a=/dev/video1" }, /listed twice \(from FACEFLEET_CAMERAS\)/],
    [{ FACEFLEET_AGENT_ID: "a", FACEFLEET_CAMERAS: "/dev/video0", FACEFLEET_CAMERA_SIZE: "big" }, /videoSize.*\(from FACEFLEET_CAMERAS\)/],
    [{ FACEFLEET_AGENT_ID: "a", FACEFLEET_THREADS: "many" }, /FACEFLEET_THREADS: must be a number/],
    [{ FACEFLEET_AGENT_CONFIG: "{nope" }, /FACEFLEET_AGENT_CONFIG: not valid JSON/],
  ];
  for (const [env, expected] of cases) {
    assert.throws(
      () => agentConfigFromEnv(env),
      (error: Error) => {
        assert.match(error.message, expected);
        assert.doesNotMatch(error.message, /\n/);
        return true;
      },
      JSON.stringify(env),
    );
  }
});

test("coordinator: embedded MQTT broker and API on 0.0.0.0, kafka and passwords from the environment", () => {
  const config = coordinatorConfigFromEnv({
    FACEFLEET_KAFKA_BROKERS: "127.0.0.1:9092",
    FACEFLEET_HTTP_PORT: "8080",
    FACEFLEET_MQTT_PORT: "1883",
    FACEFLEET_MQTT_PASSWORD: "long-enough-password",
    FACEFLEET_DASHBOARD_PASSWORD: "dashboard-pass",
    FACEFLEET_STATE_DIR: "/data/facefleet/coordinator",
  });
  const parsed = parseCoordinatorConfig(config);
  assert.equal(parsed.http.host, "0.0.0.0");
  assert.equal(parsed.http.port, 8080);
  assert.equal(parsed.http.password, "dashboard-pass");
  // mqtt.embedded is validated with the broker's own schema at load, its defaults applied (username); its stateDir
  // stays unset so the broker keeps the coordinator's.
  assert.deepEqual(parsed.mqtt, {
    embedded: { host: "0.0.0.0", port: 1883, username: "facefleet", password: "long-enough-password", sharedCredential: "agent" },
  });
  assert.equal(parsed.stateDir, "/data/facefleet/coordinator");
  assert.throws(
    () => coordinatorConfigFromEnv({ FACEFLEET_DASHBOARD_PASSWORD: "short" }),
    /http\.password.*\(from FACEFLEET_DASHBOARD_PASSWORD\)/,
  );
});

test("env-config agent --out FILE writes the validated config atomically, mode 600; bad input: exit 1, nothing written", () => {
  const dir = mkdtempSync(join(tmpdir(), "facefleet-env-config-"));
  try {
    const out = join(dir, "facefleet", "agent.json");
    assert.equal(envConfigMain(["agent", "--out", out], { BALENA_DEVICE_UUID: uuid, FACEFLEET_MQTT_URL: "mqtt://hub:1883" }), 0);
    assert.deepEqual(readConfigFile(out), { agentId: uuid, mqtt: { url: "mqtt://hub:1883" } });
    assert.equal(statSync(out).mode & 0o777, 0o600);
    const bad = join(dir, "bad.json");
    assert.equal(envConfigMain(["agent", "--out", bad], { FACEFLEET_AGENT_ID: "a", FACEFLEET_KAFKA_BROKERS: "x" }), 1);
    assert.throws(() => statSync(bad));
    assert.equal(envConfigMain(["agent"], {}), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
