/**
 * Every route of the coordinator's API with schemathesis (PyPI, in .facefleet/tools-venv: scripts/setup.sh --tests)
 * against its own /api/openapi.json: a real `facefleet coordinator` on Kafka from the jars (28095, MQTT 28195,
 * HTTP 28295), authenticated with a named operator token (header), so the operator's routes are exercised as well
 * as the viewer's. Some data first, so that the answers have content for the schema checks: a person, a camera's
 * alert setting, and recognition events with real embeddings and crops (a known face and an unknown one's group).
 *
 * Phases coverage, fuzzing and stateful, positive and negative data, at most SCHEMATHESIS_EXAMPLES cases per
 * operation (seeded), checks: no 5xx (not_a_server_error), every status documented (status_code_conformance),
 * every answer matching its schema (response_schema_conformance) and content type (content_type_conformance). No
 * route is left out: the destructive ones (DELETE a person, name or dismiss a group, drain) get generated names and
 * ids (half of the path ids, cameras and the photo upload's person are ones that exist: schemathesis fuzz dictionaries),
 * and what they change is the test's own data. The coordinator logs no 500 and is still up at the end.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { Partitioners } from "kafkajs";
import { createApiToken } from "../../coordinator/state/api-tokens.js";
import type { EventView, UnknownAlertsView } from "../../protocol/api-events.js";
import type { FaceClusterList } from "../../protocol/api-faces.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { topics } from "../../protocol/topics.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { CoordinatorApi, type FleetPorts, FleetProcess, waitForAsync, writeCoordinatorConfig } from "../../testing/fleet.js";
import { createPlanTopic, createTopics, startBroker } from "../../testing/kafka-harness.js";
import { exampleImage, repoRoot, useTestModels } from "../../testing/paths.js";
import { FaceEvents, lfwPictures } from "../support/face-events.js";

useTestModels();
const SCHEMATHESIS = path.join(repoRoot, ".facefleet", "tools-venv", "bin", "schemathesis");
/** Cases per operation: about 2,400 requests in all, 20-30 s of schemathesis on this 2-core machine (40-55 s with the set-up). */
const SCHEMATHESIS_EXAMPLES = 50;
const CHECKS = ["not_a_server_error", "status_code_conformance", "response_schema_conformance", "content_type_conformance"];

type Report = {
  schemathesis_version: string;
  exit_code: number;
  running_time: number;
  operations: { total: number; selected: number; tested: number; errored: number; skipped: number };
  test_cases: { generated: number; with_failures: number; unique_failures: number; errored: number };
  failures: unknown[];
  errors: unknown[];
};

/** Runs a command; its exit code and everything it printed. */
function run(command: string, args: string[], cwd: string, timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    // In `cwd`: schemathesis and hypothesis keep their caches (.schemathesis/, .hypothesis/) there.
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

test("schemathesis against /api/openapi.json: no 5xx, every status documented, every answer matches", { timeout: 420_000 }, async (t) => {
  assert.ok(existsSync(SCHEMATHESIS), `${SCHEMATHESIS} is missing: run scripts/setup.sh --tests`);
  const pipeline = await RecognitionPipeline.load({ threads: 1 });
  const make = new FaceEvents(pipeline, Date.now() - 600_000);
  const events: RecognitionEvent[] = [await make.of(exampleImage("obama.jpg"), "cam-hall", "person_seen", "Barack Obama")];
  for (const file of lfwPictures("Hugo_Chavez", 3)) events.push(await make.of(file, "cam-yard", "unknown_person", "Unknown"));

  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-schemathesis-"));
  const broker = await startBroker(28095);
  let coordinator: FleetProcess | undefined;
  let passed = false;
  t.after(async () => {
    if (!passed && coordinator) process.stderr.write(`${coordinator.dump(80)}\n`);
    await coordinator?.stop(5000);
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, 2);
  await createPlanTopic(broker.kafka);
  const ports: FleetPorts = { bootstrap: broker.bootstrap, mqttPort: 28195, httpPort: 28295 };
  const stateDir = path.join(dir, "coordinator-state");
  const { token } = await createApiToken(stateDir, { name: "schemathesis", role: "operator" });
  coordinator = new FleetProcess("coordinator", ["coordinator", "--config", writeCoordinatorConfig(dir, ports)]);
  const api = new CoordinatorApi(`http://127.0.0.1:${ports.httpPort}`, token);
  await waitForAsync("the coordinator's API", () => api.reachable(), 90_000);

  // Data for the answers to carry.
  assert.equal((await api.request("POST", "/api/people", { name: "Ada Lovelace" })).status, 200);
  assert.equal((await api.request("PUT", "/api/alerts/unknown/cam-yard", { enabled: true })).status, 200);
  const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await waitForAsync(
      "the coordinator keeps the events",
      async () => {
        const kept = (await api.request("GET", "/api/events")).json as { events: EventView[] };
        if (kept.events.length >= events.length) return true;
        await producer.send({ topic: topics.events, acks: -1, messages: events.map((e) => ({ key: e.camera, value: JSON.stringify(e) })) });
        return false;
      },
      120_000,
    );
  } finally {
    await producer.disconnect();
  }

  // The ids that exist, mixed into half the generated path parameters (schemathesis fuzz dictionaries), so that the
  // routes behind a lookup (a crop, a correction, a group's name, a person's photos) are reached, not only their 404.
  const kept = (await api.request("GET", "/api/events")).json as { events: EventView[] };
  const groups = (await api.request("GET", "/api/faces/clusters")).json as FaceClusterList;
  const alerts = (await api.request("GET", "/api/alerts/unknown")).json as UnknownAlertsView;
  const ids = [
    ...kept.events.map((e) => e.id),
    ...groups.clusters.flatMap((c) => [c.id, ...c.faces.map((f) => f.id)]),
    ...alerts.alerts.map((a) => a.id),
  ];
  assert.ok(groups.clusters.length > 0 && alerts.alerts.length > 0, "a group of unknown faces and an alert to fuzz with");
  const configFile = path.join(dir, "schemathesis.toml");
  const list = (values: string[]) => `[${values.map((v) => JSON.stringify(v)).join(", ")}]`;
  writeFileSync(
    configFile,
    [
      `[dictionaries.ids]\nvalues = ${list([...new Set(ids)])}`,
      `[dictionaries.names]\nvalues = ${list(["Ada Lovelace"])}`,
      `[dictionaries.cameras]\nvalues = ${list(["cam-yard", "cam-hall"])}`,
      `[parameters]`,
      `"path.id" = { dictionary = "ids", probability = 0.5 }`,
      `"path.camera" = { dictionary = "cameras", probability = 0.5 }`,
      // The person for photo uploads only: DELETE /api/people/{name} gets generated names (it would delete her).
      `[[operations]]\ninclude-path = "/api/people/{name}/photos"`,
      `parameters = { "path.name" = { dictionary = "names", probability = 0.5 } }`,
      "",
    ].join("\n"),
  );

  const reportFile = path.join(dir, "schemathesis.json");
  const { code, output } = await run(
    SCHEMATHESIS,
    [
      "--config-file",
      configFile,
      "run",
      `${api.baseUrl}/api/openapi.json`,
      "--header",
      `Authorization: Bearer ${token}`,
      "--checks",
      CHECKS.join(","),
      "--max-examples",
      String(SCHEMATHESIS_EXAMPLES),
      "--seed",
      "14",
      "--workers",
      "1",
      "--request-timeout",
      "30",
      "--report",
      "json",
      "--report-json-path",
      reportFile,
    ],
    dir,
    300_000,
  );
  assert.ok(existsSync(reportFile), `schemathesis wrote no report (exit ${code}):\n${output.slice(-4000)}`);
  const report = JSON.parse(readFileSync(reportFile, "utf8")) as Report;
  process.stdout.write(
    `schemathesis ${report.schemathesis_version}: ${report.operations.tested}/${report.operations.total} operations, ` +
      `${report.test_cases.generated} cases, ${report.test_cases.unique_failures} failures, ${report.running_time.toFixed(1)} s\n`,
  );
  assert.equal(code, 0, `schemathesis failed:\n${output.slice(-8000)}`);
  assert.deepEqual([report.failures, report.errors], [[], []]);
  const warnings = (report as { warnings?: { missing_test_data?: string[] } }).warnings?.missing_test_data ?? [];
  process.stdout.write(`operations that only found 404s: ${warnings.join(", ") || "none"}\n`);
  assert.equal(report.operations.tested, report.operations.total, "every operation tested");
  assert.ok(report.operations.total >= 30, `${report.operations.total} operations in the document`);
  assert.ok(report.test_cases.generated >= report.operations.total * 10, `${report.test_cases.generated} cases`);
  assert.ok(coordinator.running, "the coordinator is still up");
  assert.equal(coordinator.find(/api: 5\d\d /), undefined, "the coordinator logged no server error");
  passed = true;
});
