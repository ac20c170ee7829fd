/**
 * Bad input on facefleet.frames against a real broker and the real models: random bytes, a truncated
 * JPEG, missing and invalid headers, a key that is not the camera, an oversized frame → each lands in
 * facefleet.dlq with its reason and origin, and the good frame after it is processed; a stale frame is
 * skipped and counted. Then a graceful stop commits everything and leaves the group.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import kafkajs, { type IHeaders, type Message } from "kafkajs";
import { type RunningAgent, startAgent } from "../../agent/agent.js";
import { parseAgentConfig } from "../../agent/config.js";
import { createKafka } from "../../kafka/client.js";
import { type Detection, detectionSchema } from "../../protocol/detection.js";
import { dlqHeadersSchema } from "../../protocol/dlq-record.js";
import { topics } from "../../protocol/topics.js";
import { Collector, createTopics, frameHeaders, startBroker, waitFor } from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";

const { logLevel, Partitioners } = kafkajs;

useTestModels();

test("bad frames go to the DLQ with their reason; the worker keeps going; stop commits and leaves", { timeout: 180_000 }, async (t) => {
  const broker = await startBroker(19392);
  const log: string[] = [];
  let agent: RunningAgent | undefined;
  const collectors: Collector[] = [];
  t.after(async () => {
    await agent?.stop().catch(() => undefined);
    for (const c of collectors) await c.stop();
    await broker.stop();
  });
  await createTopics(broker.kafka, 1);

  const groupId = "dlq-test-inference";
  const config = parseAgentConfig({
    agentId: "dlq-test",
    kafka: { brokers: [broker.bootstrap] },
    recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
    worker: {
      groupId,
      annotated: false,
      maxFrameBytes: 200_000,
      maxFrameAgeMs: 60_000,
      sessionTimeoutMs: 3000,
      heartbeatIntervalMs: 500,
      maxWaitMs: 200,
      statsLogIntervalMs: 0,
    },
  });
  // The agent's own client, quiet: the first group join meets "coordinator not available" while the
  // broker creates __consumer_offsets (kafkajs retries).
  agent = await startAgent(config, { log: (line) => log.push(line), kafka: createKafka(config.kafka, logLevel.NOTHING) });

  const jpeg = readFileSync(exampleImage("obama_small.jpg"));
  const camera = "door";
  const good = (seq: number): Message => ({ key: camera, value: jpeg, headers: frameHeaders(camera, seq) });
  const bad = (value: Buffer | null, headers: IHeaders | undefined, key = camera): Message => ({ key, value, headers });
  const { width: _w, ...noWidth } = frameHeaders(camera, 6) as Record<string, string>;
  // [message, expected DLQ stage and reason | "good" | "stale"]
  const plan: [Message, { stage: string; reason: RegExp } | "good" | "stale"][] = [
    [good(0), "good"],
    [bad(randomBytes(5000), frameHeaders(camera, 1)), { stage: "decode", reason: /cannot decode image/ }],
    [good(2), "good"],
    [bad(jpeg.subarray(0, Math.floor(jpeg.length / 2)), frameHeaders(camera, 3)), { stage: "decode", reason: /cannot decode image/ }],
    [good(4), "good"],
    [bad(jpeg, undefined), { stage: "headers", reason: /invalid frame header/ }],
    [good(5), "good"],
    [bad(jpeg, { ...noWidth, height: "tall" }), { stage: "headers", reason: /invalid frame header (width|height)/ }],
    [good(7), "good"],
    [bad(randomBytes(300_000), frameHeaders(camera, 8)), { stage: "size", reason: /300000 bytes, more than the limit of 200000/ }],
    [good(9), "good"],
    [bad(jpeg, frameHeaders(camera, 10, Date.now() - 10 * 60_000)), "stale"],
    [good(11), "good"],
    [bad(jpeg, frameHeaders(camera, 12), "garage"), { stage: "headers", reason: /record key 'garage' is not the camera header 'door'/ }],
    [good(13), "good"],
  ];

  const detections = await Collector.start(broker.kafka, topics.detections);
  const dlq = await Collector.start(broker.kafka, topics.dlq);
  collectors.push(detections, dlq);
  const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const [sent] = await producer.send({ topic: topics.frames, acks: -1, messages: plan.map(([m]) => m) });
  await producer.disconnect();
  const base = Number(sent?.baseOffset);

  const goodCount = plan.filter(([, e]) => e === "good").length;
  const dlqCount = plan.filter(([, e]) => typeof e === "object").length;
  await waitFor("detections and DLQ records", () => detections.messages.length >= goodCount && dlq.messages.length >= dlqCount, 90_000);

  // Every good frame, including each one right after a bad one, has its detection, in order.
  const seen = detections.json<Detection>().map((d) => detectionSchema.parse(d));
  assert.deepEqual(
    seen.map((d) => [d.seq, Number(d.offset)]),
    plan.flatMap(([m, e], i) => (e === "good" ? [[Number((m.headers as Record<string, string>).seq), base + i]] : [])),
  );
  assert.ok(seen.every((d) => d.faces.length === 1 && d.agent === "dlq-test" && d.galleryVersion === 0));

  // Each bad record in the DLQ: its stage, reason, origin, and its bytes.
  for (const message of dlq.messages) {
    const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
    const meta = dlqHeadersSchema.parse(headers);
    const index = Number(meta["source-offset"]) - base;
    const expected = plan[index]?.[1];
    assert.ok(typeof expected === "object", `DLQ record for offset ${meta["source-offset"]} (${meta.reason}) was not expected there`);
    assert.equal(meta.stage, expected.stage, meta.reason);
    assert.match(meta.reason, expected.reason);
    assert.equal(meta["source-topic"], topics.frames);
    assert.equal(meta.agent, "dlq-test");
    const original = plan[index]?.[0].value as Buffer;
    assert.equal(headers["original-size"], String(original.length));
    assert.ok(Buffer.compare(message.value as Buffer, original) === 0, "the DLQ keeps the original bytes");
  }
  assert.equal(new Set(dlq.messages.map((m) => String(m.headers?.["source-offset"]))).size, dlqCount);

  const stats = agent.stats.snapshot();
  assert.equal(stats.framesIn, plan.length);
  assert.equal(stats.framesOut, goodCount);
  assert.equal(stats.dlq, dlqCount);
  assert.deepEqual(stats.dlqByStage, { headers: 3, decode: 2, size: 1, process: 0 });
  assert.equal(stats.skippedStale, 1);
  assert.deepEqual(stats.skippedStaleByCamera, { door: 1 });
  assert.ok(stats.latencyMs.total.p50 > 0);
  assert.deepEqual(stats.ownedPartitions, [0]);
  assert.ok(
    log.some((l) => /skipped 1 stale frame\(s\) of camera door/.test(l)),
    log.join("\n"),
  );

  // Graceful stop: everything handled is committed, and the member has left the group.
  await agent.stop();
  agent = undefined;
  const admin = broker.kafka.admin();
  await admin.connect();
  try {
    const committed = await admin.fetchOffsets({ groupId, topics: [topics.frames] });
    assert.equal(committed[0]?.partitions[0]?.offset, String(base + plan.length));
    const groups = await admin.describeGroups([groupId]);
    assert.equal(groups.groups[0]?.state, "Empty");
  } finally {
    await admin.disconnect();
  }
});
