/**
 * `facefleet doctor` on this machine: the models load (real files), cameras and temperature sensors
 * are listed (none may exist here: lists, not errors), and with an agent's config it tells whether the
 * coordinator answers: a real embedded MQTT broker (right and wrong password) and a Kafka port nobody
 * listens on.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { startEmbeddedBroker } from "../../coordinator/mqtt/embedded-broker.js";
import { useTestModels } from "../../testing/paths.js";
import { runCli } from "../support/run-cli.js";

useTestModels();

test("doctor: models, cameras, sensors; with an agent config, Kafka and MQTT reachability", { timeout: 120_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-doctor-"));
  const broker = await startEmbeddedBroker({ port: 0, password: "doctor-test-password", stateDir: path.join(dir, "state"), log: () => {} });
  t.after(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const config = (password: string) => {
    const file = path.join(dir, `agent-${password.length}.json`);
    writeFileSync(
      file,
      JSON.stringify({
        agentId: "doctor-test",
        kafka: { brokers: ["127.0.0.1:1"] },
        recognition: { executionProvider: "cpu", threads: 1 },
        mqtt: { url: broker.url, username: "facefleet", password },
      }),
    );
    return file;
  };

  const plain = await runCli(["doctor", "--json"]);
  assert.equal(plain.code, 0, plain.stderr);
  const device = JSON.parse(plain.stdout) as Record<string, unknown>;
  assert.ok(Array.isArray(device.models) && device.models.length >= 2, plain.stdout);
  assert.equal(device.accelerator, "none (CPU)");
  assert.ok(Array.isArray(device.cameras));
  assert.ok(Array.isArray(device.temperatureSensors));
  assert.equal(device.coordinator, undefined, "no config: no coordinator check");

  const checked = await runCli(["doctor", "--json", "--config", config("doctor-test-password")]);
  assert.equal(checked.code, 1, "Kafka unreachable makes the device unhealthy");
  const coordinator = (
    JSON.parse(checked.stdout) as {
      coordinator: { kafka: { reachable: boolean; detail: string }[]; mqtt: { reachable: boolean; detail: string } };
    }
  ).coordinator;
  assert.equal(coordinator.mqtt.reachable, true, coordinator.mqtt.detail);
  assert.equal(coordinator.kafka[0]?.reachable, false);
  assert.match(coordinator.kafka[0]?.detail ?? "", /ECONNREFUSED/);

  const refused = await runCli(["doctor", "--json", "--config", config("a-wrong-password")]);
  const mqtt = (JSON.parse(refused.stdout) as { coordinator: { mqtt: { reachable: boolean; detail: string } } }).coordinator.mqtt;
  assert.equal(mqtt.reachable, false);
  assert.match(mqtt.detail, /bad username or password|not authorized/i);

  const lines = await runCli(["doctor"]);
  assert.match(lines.stdout, /^cameras\s+\[/m);
  assert.match(lines.stdout, /^temperatureSensors\s+\[/m);
});
