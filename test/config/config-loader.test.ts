/**
 * The one config path (core/config-loader.ts): YAML or JSON files, overrides from the command line, the zod
 * schemas of the agent and the coordinator, one-line errors naming the file, the field and what set it; the
 * camera shorthand (agent/capture/camera-shorthand.ts) and `facefleet config check`.
 */
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseCameraList, parseCameraShorthand } from "../../agent/capture/camera-shorthand.js";
import { loadAgentConfig } from "../../agent/config.js";
import { loadCoordinatorConfig } from "../../coordinator/config.js";
import { applyOverrides } from "../../core/config-loader.js";
import { agentConfigFromEnv } from "../../deploy/env-config.js";
import { planFirstBoot } from "../../deploy/image/first-boot-config.js";
import { runCli } from "../support/run-cli.js";

const dir = mkdtempSync(join(tmpdir(), "facefleet-config-loader-"));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    const message = (error as Error).message;
    assert.equal(message.split("\n").length, 1, `one line: ${message}`);
    return message;
  }
  assert.fail("expected the config to be refused");
}

test("an agent config in YAML is the same config as in JSON", async () => {
  const json = file(
    "agent.json",
    JSON.stringify({
      agentId: "door-pi",
      kafka: { brokers: ["hub:9092"] },
      roles: { capture: [{ camera: "door", source: "/dev/video0" }] },
    }),
  );
  const yaml = file(
    "agent.yaml",
    "agentId: door-pi\nkafka:\n  brokers: [hub:9092]\nroles:\n  capture:\n    - { camera: door, source: /dev/video0 }\n",
  );
  const fromYaml = await loadAgentConfig(yaml);
  assert.deepEqual(fromYaml, await loadAgentConfig(json));
  assert.equal(fromYaml.kafka.clientId, "facefleet-agent-door-pi");
  assert.equal(fromYaml.roles.capture[0]?.fps, 10);
});

test("errors name the file and the field; YAML syntax is one line", async () => {
  const badYaml = file("broken.yaml", "agentId: a\nkafka: [\n");
  assert.match(await rejection(loadAgentConfig(badYaml)), /^agent config .*broken\.yaml is not valid YAML: /);
  const badField = file("bad-field.yml", "agentId: a\nworker:\n  maxFrameAgeMs: -1\n");
  assert.match(await rejection(loadAgentConfig(badField)), /^agent config .*bad-field\.yml: worker\.maxFrameAgeMs: /);
  // recognition is strict now: a misspelt setting is an error, not silently ignored
  const typo = file("typo.json", JSON.stringify({ agentId: "a", recognition: { thread: 2 } }));
  assert.match(await rejection(loadAgentConfig(typo)), /: recognition: Unrecognized key: "thread"/);
});

test("coordinator: mqtt.embedded is validated at load with the broker's schema; a union error names the real field", async () => {
  const port = file("port.json", JSON.stringify({ mqtt: { embedded: { port: 99_999 } } }));
  assert.match(await rejection(loadCoordinatorConfig(port)), /^coordinator config .*port\.json: mqtt\.embedded\.port: Too big/);
  const key = file("key.yaml", "mqtt:\n  embedded:\n    pasword: long-enough\n");
  assert.match(await rejection(loadCoordinatorConfig(key)), /: mqtt\.embedded: Unrecognized key: "pasword"/);
  const url = file("url.json", JSON.stringify({ mqtt: { external: { url: "http://hub" } } }));
  assert.match(await rejection(loadCoordinatorConfig(url)), /: mqtt\.external\.url: must be mqtt:\/\/host:port/);
  const embedded = await loadCoordinatorConfig(file("ok.yaml", "stateDir: /var/lib/c\nmqtt: { embedded: { host: 0.0.0.0 } }\n"));
  assert.deepEqual(embedded.mqtt, { embedded: { host: "0.0.0.0", port: 1883, username: "facefleet", sharedCredential: "agent" } });
});

test("overrides are laid on a copy; derive sees the config as it stands", () => {
  const base = { agentId: "x", kafka: { brokers: ["a:1"], clientId: "c" } };
  const out = applyOverrides(base, [
    { path: ["kafka", "brokers"], value: ["b:2"] },
    { path: ["roles", "capture"], derive: (c) => [{ camera: `${String(c.agentId)}-cam`, source: "/dev/video0" }] },
  ]);
  assert.deepEqual(out, {
    agentId: "x",
    kafka: { brokers: ["b:2"], clientId: "c" },
    roles: { capture: [{ camera: "x-cam", source: "/dev/video0" }] },
  });
  assert.deepEqual(base.kafka.brokers, ["a:1"]);
});

test("the camera shorthand: ID=SOURCE, a bare source named after the agent, a query string's = is not an id", () => {
  assert.deepEqual(parseCameraShorthand("door=/dev/video0", "pi"), { camera: "door", source: "/dev/video0" });
  assert.deepEqual(parseCameraShorthand(" /dev/video2 ", "pi"), { camera: "pi-video2", source: "/dev/video2" });
  assert.deepEqual(parseCameraShorthand("rtsp://u:p@h:554/stream?channel=1", "pi"), {
    camera: "pi-stream",
    source: "rtsp://u:p@h:554/stream?channel=1",
  });
  assert.deepEqual(parseCameraShorthand("rtsp://h/", "pi"), { camera: "pi-h", source: "rtsp://h/" });
  assert.deepEqual(parseCameraShorthand("/videos/my clip.mp4", "pi"), { camera: "pi-my_clip.mp4", source: "/videos/my clip.mp4" });
  assert.deepEqual(
    parseCameraList("door=/dev/video0; /dev/video2\nyard=rtsp://h/x?a=b;", "pi").map((c) => c.camera),
    ["door", "pi-video2", "yard"],
  );
});

test("FACEFLEET_CAMERAS and facefleet.yaml's agent.cameras read the same shorthand into the same cameras", () => {
  const env = agentConfigFromEnv({ FACEFLEET_AGENT_ID: "pi", FACEFLEET_CAMERAS: "door=/dev/video0; /dev/video2" });
  const plan = planFirstBoot({ agent: { id: "pi", cameras: ["door=/dev/video0", "/dev/video2"] }, kafka: { brokers: "hub:9092" } }, {});
  const agentJson = JSON.parse(plan.files.find((f) => f.path === "etc/facefleet/agent.json")?.content ?? "{}");
  const expected = [
    { camera: "door", source: "/dev/video0" },
    { camera: "pi-video2", source: "/dev/video2" },
  ];
  assert.deepEqual((env.roles as { capture: unknown }).capture, expected);
  assert.deepEqual(agentJson.roles.capture, expected);
});

test("facefleet agent: --brokers and --camera override the file, and an error names the option", async () => {
  const config = file("cli-agent.yaml", "agentId: x\nroles: { inference: true }\n");
  const brokers = await runCli(["agent", "--config", config, "--brokers", "nohost"]);
  assert.equal(brokers.code, 1, brokers.stderr);
  assert.match(
    brokers.stderr,
    /^facefleet agent: agent config .*cli-agent\.yaml: kafka\.brokers\.0: must be host:port \(from --brokers\)\n$/,
  );
  // a bare /dev/video0 is x-video0, the same id as the one named explicitly: listed twice
  const twice = await runCli(["agent", "--config", config, "--camera", "/dev/video0", "--camera", "x-video0=/dev/video1"]);
  assert.equal(twice.code, 1, twice.stderr);
  assert.match(twice.stderr, /: roles\.capture\.1\.camera: camera 'x-video0' is listed twice \(from --camera\)\n$/);
});

test("the Kafka tools read any config's kafka section; a bad --brokers is a usage error naming it", async () => {
  const hub = file("hub.yaml", "kafka: { brokers: ['10.0.0.2:9092'] }\nmqtt: { embedded: {} }\n");
  const result = await runCli(["topics", "ensure", "--config", hub, "--brokers", "hub"]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /^facefleet topics: config file .*hub\.yaml: kafka\.brokers\.0: must be host:port \(from --brokers\)\n$/);
});

test("facefleet config check: one line and exit 0 for a valid file, exit 1 naming the field (never the values) for a bad one", async () => {
  const good = file("check-good.yaml", "agentId: edge-01\nmqtt: { url: 'mqtt://hub:1883', password: s3cret-value }\n");
  const ok = await runCli(["config", "check", "agent", good]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /check-good\.yaml: a valid agent config \(agent edge-01\)\n$/);
  const bad = file("check-bad.json", JSON.stringify({ http: { password: "s3cret" } }));
  const refused = await runCli(["config", "check", "coordinator", bad]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /^facefleet config: coordinator config .*check-bad\.json: http\.password: must be at least 8 characters\n$/);
  assert.doesNotMatch(refused.stderr + refused.stdout, /s3cret/);
  const usage = await runCli(["config", "check", "printer", good]);
  assert.equal(usage.code, 2);
  const schema = await runCli(["config", "schema", "coordinator"]);
  assert.equal(schema.code, 0);
  assert.equal(JSON.parse(schema.stdout).title, "facefleet coordinator config (coordinator/config.ts)");
});
