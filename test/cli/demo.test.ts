import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runCli } from "../support/run-cli.js";

test("facefleet demo: Kafka, the coordinator, an agent and a looping camera come up, Lin-Manuel Miranda is named, all goes down", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "facefleet-demo-"));
  const result = await runCli([
    "demo",
    "--duration",
    "30",
    "--cameras",
    "1",
    "--agents",
    "1",
    "--port",
    "19992",
    "--http-port",
    "19994",
    "--mqtt-port",
    "19995",
    "--data-dir",
    dataDir,
  ]);
  assert.equal(result.code, 0, result.stderr.slice(-2000));
  assert.match(result.stdout, /person_seen\s+lin-manuel-miranda/);
  const summary = /facefleet demo: (\d+) detections, (\d+) events, named: (.*)/.exec(result.stdout);
  assert.ok(summary, result.stdout.slice(-1000));
  assert.ok(Number(summary[1]) > 20, `detections: ${summary[1]}`);
  assert.match(summary[3] ?? "", /lin-manuel-miranda/);
  assert.match(result.stderr, /kafka\| .*stopped/i, "the demo stops the broker it started");
  assert.match(result.stdout, /dashboard http:\/\/127\.0\.0\.1:19994 \(password: facefleet\)/);
  assert.match(result.stderr, /coordinator\| coordinator: plan v1 published/, "the coordinator planned the agent's partitions");
});
