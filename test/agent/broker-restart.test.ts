/**
 * The broker goes down mid-stream and comes back (`kafka down`, `kafka up`, same data dir): the
 * running agent recovers on its own, and every frame produced before and after has its detection
 * (nothing committed is lost; frames in flight may repeat).
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import kafkajs from "kafkajs";
import { type RunningAgent, startAgent } from "../../agent/agent.js";
import { parseAgentConfig } from "../../agent/config.js";
import { createKafka } from "../../kafka/client.js";
import type { Detection } from "../../protocol/detection.js";
import { topics } from "../../protocol/topics.js";
import { Collector, createTopics, frameHeaders, startBroker, waitFor } from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";

const { logLevel, Partitioners } = kafkajs;
useTestModels();

test("broker restart mid-stream: the agent recovers on its own, no frame is lost", { timeout: 180_000 }, async (t) => {
  const broker = await startBroker(19592);
  let agent: RunningAgent | undefined;
  let detections: Collector | undefined;
  t.after(async () => {
    await agent?.stop().catch(() => undefined);
    await detections?.stop();
    await broker.stop();
  });
  await createTopics(broker.kafka, 1);
  const config = parseAgentConfig({
    agentId: "restart-test",
    kafka: { brokers: [broker.bootstrap] },
    recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
    worker: { annotated: false, maxFrameAgeMs: 0, sessionTimeoutMs: 3000, heartbeatIntervalMs: 500, maxWaitMs: 200, statsLogIntervalMs: 0 },
  });
  const log: string[] = [];
  agent = await startAgent(config, { log: (line) => log.push(line), kafka: createKafka(config.kafka, logLevel.NOTHING) });

  const jpeg = readFileSync(exampleImage("obama_small.jpg"));
  const send = async (from: number, to: number) => {
    const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const messages = Array.from({ length: to - from }, (_, i) => ({ key: "door", value: jpeg, headers: frameHeaders("door", from + i) }));
    await producer.send({ topic: topics.frames, acks: -1, messages });
    await producer.disconnect();
  };
  detections = await Collector.start(broker.kafka, topics.detections);
  const seqs = () => new Set((detections?.json<Detection>() ?? []).map((d) => d.seq));
  // A backlog, and the broker goes down while the agent is in the middle of it.
  await send(0, 15);
  await waitFor("the first detections", () => seqs().size >= 3, 60_000, 10);
  const before = seqs().size;
  await detections.stop();
  const started = Date.now();
  await broker.restart(1000);
  await send(15, 20);
  detections = await Collector.start(broker.kafka, topics.detections);
  await waitFor("detections after the restart", () => seqs().size >= 20, 120_000).catch((error) => {
    throw new Error(`${(error as Error).message}\nagent log:\n${log.join("\n")}`);
  });
  t.diagnostic(`${before} of 15 frames had their detection when the broker went down; all 20 ${Date.now() - started} ms later`);
  assert.ok(before < 15, "the broker went down mid-stream");
  assert.deepEqual(
    [...seqs()].sort((a, b) => a - b),
    Array.from({ length: 20 }, (_, i) => i),
  );
});
