/**
 * GET /api/metrics with real parts: Kafka from the jars (port 21292/21293), `facefleet coordinator` with its
 * embedded MQTT broker (18931, HTTP 18932) and one agent that captures a looping picture of a stranger and
 * runs inference. The scrape needs the API token, is the Prometheus text format (promtool checks it) and its
 * values are the fleet's: one agent online, the plan's version and owners, unknown_person events counted.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import {
  CoordinatorApi,
  type FleetPorts,
  FleetProcess,
  fleetAgentMqtt,
  TEST_TOKEN,
  waitForAsync,
  writeCoordinatorConfig,
} from "../../testing/fleet.js";
import { createPlanTopic, createTopics, startBroker } from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { parseExposition } from "../support/prometheus-text.js";

useTestModels();
const PARTITIONS = 4;

async function scrape(baseUrl: string, token: string | null = TEST_TOKEN): Promise<{ status: number; type: string; text: string }> {
  const response = await fetch(`${baseUrl}/api/metrics`, { headers: token === null ? {} : { authorization: `Bearer ${token}` } });
  return { status: response.status, type: response.headers.get("content-type") ?? "", text: await response.text() };
}

test("the coordinator's /api/metrics: token required, promtool-clean, the fleet's values", { timeout: 240_000 }, async (t) => {
  const promtool = spawnSync("promtool", ["--version"], { encoding: "utf8" });
  assert.equal(promtool.status, 0, "promtool is missing: run scripts/setup.sh --tests (Debian package prometheus)");
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-metrics-"));
  const broker = await startBroker(21292);
  const processes: FleetProcess[] = [];
  let passed = false;
  t.after(async () => {
    if (!passed) process.stderr.write(`${processes.map((p) => p.dump(60)).join("\n")}\n`);
    await Promise.all(processes.map((p) => p.stop(5000)));
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, PARTITIONS);
  await createPlanTopic(broker.kafka);

  const ports: FleetPorts = { bootstrap: broker.bootstrap, mqttPort: 18931, httpPort: 18932 };
  const coordinator = new FleetProcess("coordinator", ["coordinator", "--config", writeCoordinatorConfig(dir, ports)]);
  processes.push(coordinator);
  const baseUrl = `http://127.0.0.1:${ports.httpPort}`;
  const api = new CoordinatorApi(baseUrl);
  await waitForAsync("the coordinator's API", () => api.reachable(), 60_000);

  const pictures = path.join(dir, "pictures");
  mkdirSync(pictures);
  copyFileSync(exampleImage("obama.jpg"), path.join(pictures, "1.jpg"));
  const agentConfig = path.join(dir, "one.json");
  writeFileSync(
    agentConfig,
    JSON.stringify({
      agentId: "one",
      kafka: { brokers: [broker.bootstrap], clientId: "one" },
      roles: { capture: [{ camera: "door", source: pictures, fps: 4, loop: true }] },
      capture: { stateDir: path.join(dir, "capture-state") },
      recognition: { threads: 1 },
      worker: { assignment: "plan", statsLogIntervalMs: 0, sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
      mqtt: { ...fleetAgentMqtt(ports), healthIntervalMs: 1000 },
    }),
  );
  processes.push(new FleetProcess("one", ["agent", "--config", agentConfig]));

  const refused = await scrape(baseUrl, null);
  assert.equal(refused.status, 401, "no token, no metrics");
  assert.equal((await scrape(baseUrl, "not-the-token")).status, 401);

  // Wait until the agent owns every partition and an unknown_person event (the stranger) was counted.
  let series = parseExposition("");
  await waitForAsync(
    "metrics with the agent online, its plan and an unknown_person event",
    async () => {
      const got = await scrape(baseUrl);
      if (got.status !== 200) return false;
      series = parseExposition(got.text);
      return (
        series.value("facefleet_agents_online") === 1 &&
        series.value("facefleet_recognition_events_total", { type: "unknown_person" }) >= 1 &&
        series.all("facefleet_partition_owner").length === PARTITIONS &&
        series.all("facefleet_agent_stage_latency_seconds").length > 0
      );
    },
    120_000,
  );

  const got = await scrape(baseUrl);
  assert.equal(got.status, 200);
  assert.match(got.type, /^text\/plain; version=0\.0\.4/);
  const checked = spawnSync("promtool", ["check", "metrics"], { input: got.text, encoding: "utf8" });
  assert.equal(checked.status, 0, `promtool check metrics:\n${checked.stdout}${checked.stderr}`);

  series = parseExposition(got.text);
  const plan = (await api.plan()).plan;
  assert.ok(plan);
  assert.equal(series.value("facefleet_plan_version"), plan.version, "the plan version is the API's");
  assert.ok(series.value("facefleet_plan_changes_total") >= 1);
  for (const owner of series.all("facefleet_partition_owner")) assert.equal(owner.labels.agent, "one");
  assert.equal(series.value("facefleet_agent_up", { agent: "one" }), 1);
  assert.equal(series.value("facefleet_agents_known"), 1);
  assert.ok(series.value("facefleet_agent_frames_per_second", { agent: "one", direction: "in" }) > 0, "the agent reports frames in");
  const total = series.value("facefleet_agent_stage_latency_seconds", { agent: "one", stage: "total", quantile: "0.5" });
  assert.ok(total > 0 && total < 10, `total p50 ${total} s`);
  assert.ok(series.value("facefleet_agent_embeddings_total", { agent: "one", result: "run" }) >= 1);
  assert.equal(series.value("facefleet_recognition_events_total", { type: "person_seen" }), 0, "nobody is enrolled");
  assert.equal(series.types.get("facefleet_recognition_events_total"), "counter");
  assert.equal(series.types.get("facefleet_agent_stage_latency_seconds"), "summary");
  const openapi = (await (await fetch(`${baseUrl}/api/openapi.json`)).json()) as {
    paths: Record<string, { get?: { responses: Record<string, { content?: Record<string, unknown> }> } }>;
  };
  const documented = openapi.paths["/api/metrics"]?.get?.responses["200"]?.content ?? {};
  assert.deepEqual(Object.keys(documented), ["text/plain; version=0.0.4; charset=utf-8"], "documented in openapi.json");
  passed = true;
});
