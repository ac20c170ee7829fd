/**
 * The agent's own GET /metrics with real parts: a Kafka broker from the jars, the two sample people on
 * facefleet.gallery, a real `facefleet agent` process (real models) with `metrics: { enabled: true }` on a port of
 * its own, the Hamilton clip's frames on one camera and one record without headers. The scrape passes
 * `promtool check metrics` without findings and says what the agent did: frames processed = the detections on
 * facefleet.detections, faces detected = their faces, the record without headers dead-lettered, per-stage latency
 * histograms with one observation per frame, the models loaded, the process; no person's name anywhere in it
 * although the detections name them. SIGTERM closes the port.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import kafkajs from "kafkajs";
import { publishIdentities } from "../../gallery/publish-identities.js";
import { kafkaConnectionSchema } from "../../kafka/connection-config.js";
import { type Detection, detectionSchema } from "../../protocol/detection.js";
import { topics } from "../../protocol/topics.js";
import { embedEnrollmentSources } from "../../recognition/enrollment.js";
import { UNKNOWN } from "../../recognition/match.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { waitForAsync } from "../../testing/fleet.js";
import { clipFrames, ENROLLED, loadClipLabels } from "../../testing/hamilton-clip.js";
import {
  type ChildCommand,
  Collector,
  createTopics,
  frameHeaders,
  startBroker,
  startCommand,
  waitFor,
} from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { type PromText, parsePromText, promtoolCheck, samplesOf, sampleValue } from "../support/prom-text.js";

const { Partitioners } = kafkajs;
useTestModels();

// Ports of this test only: Kafka 32210 (+ its controller 32211), the agent's /metrics 32220.
const KAFKA_PORT = 32210;
const METRICS_PORT = 32220;
const AGENT = "metrics-e2e";
const CAMERA = "hamilton";
const METRICS_URL = `http://127.0.0.1:${METRICS_PORT}/metrics`;

test("agent /metrics: promtool-clean, frames processed = detections, histograms, models, no names", { timeout: 180_000 }, async (t) => {
  const work = mkdtempSync(path.join(tmpdir(), "facefleet-agent-metrics-"));
  const broker = await startBroker(KAFKA_PORT);
  let agent: ChildCommand | undefined;
  const collectors: Collector[] = [];
  const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  t.after(async () => {
    agent?.child.kill("SIGKILL");
    await producer.disconnect().catch(() => undefined);
    for (const c of collectors) await c.stop();
    await broker.stop();
    rmSync(work, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, 2);

  // The two people of the clip on facefleet.gallery, as `facefleet enroll --publish` would put them.
  const pipeline = await RecognitionPipeline.load({ executionProvider: "cpu", precision: "fp32", threads: 1 });
  const { identities } = await embedEnrollmentSources(
    pipeline,
    ENROLLED.map((identity) => ({ identity, path: exampleImage(`${identity}.png`) })),
  );
  await publishIdentities(kafkaConnectionSchema.parse({ brokers: [broker.bootstrap] }), identities, pipeline.recognizer);

  const configFile = path.join(work, "agent.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      agentId: AGENT,
      kafka: { brokers: [broker.bootstrap] },
      recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
      worker: {
        groupId: "metrics-e2e-inference",
        annotated: "never",
        maxFrameAgeMs: 0,
        sessionTimeoutMs: 3000,
        heartbeatIntervalMs: 500,
        maxWaitMs: 200,
        statsLogIntervalMs: 0,
      },
      metrics: { enabled: true, port: METRICS_PORT },
    }),
  );
  agent = startCommand("agent", ["--config", configFile]);
  const started = agent;
  await waitFor("the agent to join the group", () => /owns partitions/.test(started.stderr()), 90_000);
  assert.match(started.stderr(), new RegExp(`metrics on ${METRICS_URL.replace(/[./]/g, "\\$&")} \\(this machine only\\)`));

  const detections = await Collector.start(broker.kafka, topics.detections);
  collectors.push(detections);
  const labels = loadClipLabels();
  const frames = clipFrames(labels);
  await producer.connect();
  const start = Date.now() - frames.length * 200;
  const size = { width: labels.width, height: labels.height };
  await producer.send({
    topic: topics.frames,
    acks: -1,
    messages: [
      ...frames.map((jpeg, seq) => ({ key: CAMERA, value: jpeg, headers: frameHeaders(CAMERA, seq, start + seq * 200, size) })),
      // A record without headers: to the DLQ (stage headers), never processed.
      { key: CAMERA, value: frames[0] as Buffer },
    ],
  });

  const parsed = () => detections.json<Detection>().map((d) => detectionSchema.parse(d));
  await waitFor("every frame's detection", () => parsed().length >= frames.length, 120_000);

  // The counters move just after a detection is acknowledged: scrape until they have caught up.
  const scrape = async (): Promise<{ text: string; m: PromText; contentType: string | null }> => {
    const response = await fetch(METRICS_URL);
    assert.equal(response.status, 200);
    const text = await response.text();
    return { text, m: parsePromText(text), contentType: response.headers.get("content-type") };
  };
  const processed = (m: PromText) => samplesOf(m, "facefleet_agent_frames_processed_total").reduce((n, s) => n + s.value, 0);
  const received = (m: PromText) => samplesOf(m, "facefleet_agent_frames_received_total").reduce((n, s) => n + s.value, 0);
  let last: Awaited<ReturnType<typeof scrape>> | undefined;
  await waitForAsync(
    "the counters to reach every frame and the DLQ record",
    async () => {
      last = await scrape();
      return processed(last.m) >= frames.length && received(last.m) >= frames.length + 1;
    },
    30_000,
  );
  assert.ok(last);
  const { text, m, contentType } = last;
  assert.equal(contentType, "text/plain; version=0.0.4; charset=utf-8");
  const check = promtoolCheck(text);
  assert.equal(check.code, 0, check.output);
  assert.equal(check.output, "", "promtool: no lint findings");

  // --- What the agent did, as facefleet.detections shows it.
  const all = parsed();
  const seqs = new Set(all.map((d) => d.seq));
  assert.equal(seqs.size, frames.length, "one detection per frame");
  assert.equal(all.length, frames.length, "no frame twice (one agent, no restart)");
  assert.equal(sampleValue(m, "facefleet_agent_frames_processed_total", { agent: AGENT, camera: CAMERA }), all.length);
  assert.equal(received(m), frames.length + 1);
  const faces = all.reduce((n, d) => n + d.faces.length, 0);
  assert.ok(faces > 0);
  assert.equal(sampleValue(m, "facefleet_agent_faces_detected_total", { agent: AGENT, camera: CAMERA }), faces);
  assert.equal(sampleValue(m, "facefleet_agent_frames_dead_lettered_total", { agent: AGENT, stage: "headers" }), 1);
  assert.equal(sampleValue(m, "facefleet_agent_frames_stale_total", { agent: AGENT, camera: CAMERA }), 0);
  assert.equal(sampleValue(m, "facefleet_agent_assigned_partitions", { agent: AGENT }), 2);
  for (const s of samplesOf(m, "facefleet_agent_partition_consumer_lag")) assert.ok(s.value >= 0);

  // --- Latency histograms: one observation per processed frame, per stage, in seconds.
  for (const stage of ["decode", "detect", "track", "produce", "total"]) {
    assert.equal(sampleValue(m, "facefleet_agent_stage_seconds_count", { agent: AGENT, stage }), all.length, stage);
    assert.equal(sampleValue(m, "facefleet_agent_stage_seconds_bucket", { agent: AGENT, stage, le: "+Inf" }), all.length, stage);
  }
  const totalSum = sampleValue(m, "facefleet_agent_stage_seconds_sum", { agent: AGENT, stage: "total" });
  const detectionTotal = all.reduce((s, d) => s + (d.timingsMs.total ?? 0), 0) / 1000;
  assert.ok(Math.abs(totalSum - detectionTotal) < 0.01 * all.length, `histogram sum ${totalSum} s, detections' ${detectionTotal} s`);
  const run = sampleValue(m, "facefleet_agent_face_embeddings_total", { agent: AGENT, result: "run" });
  assert.ok(run > 0 && run <= faces, `${run} embeddings of ${faces} faces`);

  // --- Models and the process.
  for (const role of ["detector", "recognizer"]) {
    const info = samplesOf(m, "facefleet_agent_model_info", { agent: AGENT, role });
    assert.equal(info.length, 1, role);
    assert.equal(info[0]?.labels.precision, "fp32");
    assert.match(info[0]?.labels.execution_provider ?? "", /cpu/i);
    assert.ok(info[0]?.labels.model);
  }
  assert.ok(sampleValue(m, "facefleet_agent_process_resident_memory_bytes", { agent: AGENT }) > 50 * 1024 * 1024);
  assert.ok(sampleValue(m, "facefleet_agent_process_cpu_seconds_total", { agent: AGENT }) > 1);
  assert.equal(sampleValue(m, "facefleet_agent_gallery_identities", { agent: AGENT }), ENROLLED.length);

  // --- The detections name people; the metrics never do.
  const named = new Set(all.flatMap((d) => d.faces.map((f) => f.identity)).filter((n) => n !== UNKNOWN));
  assert.ok(named.size > 0, "the clip's people were named in the detections");
  for (const name of new Set([...named, ...ENROLLED])) assert.ok(!text.includes(name), `"${name}" is not in /metrics`);

  // --- SIGTERM: the agent stops and the port is closed.
  started.child.kill("SIGTERM");
  assert.equal(await started.exited, 0, started.stderr());
  await assert.rejects(fetch(METRICS_URL), "nothing listens after the agent stopped");
});
