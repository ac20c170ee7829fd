/**
 * Cameras placed by the plan, with real parts: Kafka from the jars (port 20892/20893), `facefleet
 * coordinator` with its embedded MQTT broker (18876, HTTP 18877), one inference agent following the plan
 * and one capture-only agent with two cameras whose ids the key hash puts on the same partition.
 * The capture agent reports its cameras in health and is given no partitions; the plan places the two
 * cameras on different partitions; the capture producer sends each camera's frames to its planned
 * partition, and the inference agent detects both.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { keyPartition } from "../../kafka/key-partition.js";
import type { Detection } from "../../protocol/detection.js";
import { parseFrameHeaders } from "../../protocol/frame-headers.js";
import { partitionsOf } from "../../protocol/plan.js";
import { topics } from "../../protocol/topics.js";
import {
  CoordinatorApi,
  type FleetPorts,
  FleetProcess,
  fleetAgentMqtt,
  waitForAsync,
  writeAgentConfig,
  writeCoordinatorConfig,
} from "../../testing/fleet.js";
import { Collector, createPlanTopic, createTopics, startBroker } from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";

useTestModels();
const PARTITIONS = 4;

test("the plan places cameras: two cameras of one hash partition go to two partitions; a capture-only agent owns none", {
  timeout: 240_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-camera-placement-"));
  const broker = await startBroker(20892);
  const processes: FleetProcess[] = [];
  const collectors: Collector[] = [];
  let passed = false;
  t.after(async () => {
    if (!passed) process.stderr.write(`${processes.map((p) => p.dump(60)).join("\n")}\n`);
    await Promise.all(processes.map((p) => p.stop(5000)));
    for (const c of collectors) await c.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, PARTITIONS);
  await createPlanTopic(broker.kafka);

  // Two camera ids that murmur2 puts on one partition.
  const ids: string[] = [];
  const wanted = keyPartition("door", PARTITIONS);
  for (let k = 0; ids.length < 2; k++) if (keyPartition(`cam-${k}`, PARTITIONS) === wanted) ids.push(`cam-${k}`);
  const [camA, camB] = ids as [string, string];

  const ports: FleetPorts = { bootstrap: broker.bootstrap, mqttPort: 18876, httpPort: 18877 };
  const coordinator = new FleetProcess("coordinator", ["coordinator", "--config", writeCoordinatorConfig(dir, ports)]);
  processes.push(coordinator);
  const api = new CoordinatorApi(`http://127.0.0.1:${ports.httpPort}`);
  await waitForAsync("the coordinator's API", () => api.reachable(), 60_000);

  const worker = new FleetProcess("worker", ["agent", "--config", writeAgentConfig(dir, "worker", ports)]);
  processes.push(worker);

  const pictures = path.join(dir, "pictures");
  mkdirSync(pictures);
  copyFileSync(exampleImage("obama.jpg"), path.join(pictures, "1.jpg"));
  const captureConfig = path.join(dir, "cams.json");
  writeFileSync(
    captureConfig,
    JSON.stringify({
      agentId: "cams",
      kafka: { brokers: [broker.bootstrap], clientId: "cams" },
      roles: { capture: [camA, camB].map((camera) => ({ camera, source: pictures, fps: 4, loop: true })), inference: false },
      capture: { stateDir: path.join(dir, "capture-state") },
      worker: { statsLogIntervalMs: 0 },
      mqtt: fleetAgentMqtt(ports),
    }),
  );
  const frames = await Collector.start(broker.kafka, topics.frames);
  const detections = await Collector.start(broker.kafka, topics.detections);
  collectors.push(frames, detections);
  const cams = new FleetProcess("cams", ["agent", "--config", captureConfig]);
  processes.push(cams);

  // The plan names both cameras, on different partitions, and gives the capture-only agent none.
  let placed: Record<string, number> = {};
  await waitForAsync(
    "a plan that places both cameras",
    async () => {
      const view = await api.plan();
      placed = view.plan?.cameras ?? {};
      return placed[camA] !== undefined && placed[camB] !== undefined;
    },
    60_000,
  );
  assert.notEqual(placed[camA], placed[camB], `placements ${JSON.stringify(placed)}`);
  const firstById = [camA, camB].sort()[0] as string;
  assert.equal(placed[firstById], wanted, "the first camera by id keeps its hash partition");
  const plan = (await api.plan()).plan;
  assert.ok(plan);
  assert.deepEqual(partitionsOf(plan, "cams"), [], "a capture-only agent owns no partition");
  assert.deepEqual(partitionsOf(plan, "worker"), [0, 1, 2, 3]);
  const agents = await api.agents();
  assert.deepEqual(
    agents
      .find((a) => a.id === "cams")
      ?.health?.cameras.map((c) => c.id)
      .sort(),
    [camA, camB].sort(),
  );

  // Frames sent after the capture agent saw the plan go to each camera's planned partition.
  const seen = Date.now();
  await waitForAsync(
    "frames of both cameras on their planned partitions",
    () => {
      const recent = frames.messages
        .map((m, i) => ({
          headers: parseFrameHeaders(m.headers ?? {}),
          partition: frames.partitions[i] as number,
          at: Number(m.timestamp),
        }))
        .filter((f) => f.at > seen + 1000);
      return [camA, camB].every((camera) => recent.filter((f) => f.headers.camera === camera).length >= 3);
    },
    60_000,
  );
  const late = frames.messages
    .map((m, i) => ({ headers: parseFrameHeaders(m.headers ?? {}), partition: frames.partitions[i] as number, at: Number(m.timestamp) }))
    .filter((f) => f.at > seen + 1000);
  for (const frame of late) assert.equal(frame.partition, placed[frame.headers.camera], `${frame.headers.camera} seq ${frame.headers.seq}`);

  // The inference agent detects both cameras.
  await waitForAsync(
    "detections of both cameras",
    () => [camA, camB].every((camera) => detections.json<Detection>().some((d) => d.camera === camera)),
    90_000,
  );
  passed = true;
});
