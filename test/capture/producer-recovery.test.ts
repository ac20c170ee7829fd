/**
 * FrameProducer across a broker restart (Kafka from the jars on 19692/19693, a temp data dir):
 * frames offered at ~10/s, `kafka down` and `kafka up` (same data dir and ports) mid-stream. The
 * producer reconnects on its own, frames offered after the restart arrive, and every frame is
 * accounted for: sent + dropped = offered, the topic holds exactly the sent frames, each seq once,
 * in increasing order.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import kafkajs from "kafkajs";
import sharp from "sharp";
import type { CapturedFrame } from "../../agent/capture/frame.js";
import { FrameProducer } from "../../agent/capture/frame-producer.js";
import { createTopicsAndWait } from "../../kafka/create-topics.js";
import { kafkaDown, kafkaUp } from "../../kafka/local/local-broker.js";
import { parseFrameHeaders } from "../../protocol/frame-headers.js";
import { topics } from "../../protocol/topics.js";
import { Collector, startBroker, waitFor } from "../../testing/kafka-harness.js";

const { Kafka, logLevel } = kafkajs;
const CAMERA = "recovery-cam";

test("frame producer: broker down and up mid-stream → reconnects, later frames arrive, drops counted", { timeout: 180_000 }, async (t) => {
  const broker = await startBroker(19692);
  const brokerOptions = {
    dataDir: broker.dataDir,
    jarsDir: process.env.FACEFLEET_KAFKA_JARS || ".facefleet/kafka/jars",
    port: 19692,
    controllerPort: 19693,
    heap: "384m",
  };
  // The producer's own client: short connection retries so a dead broker is noticed quickly.
  const kafka = new Kafka({
    clientId: "producer-recovery",
    brokers: [broker.bootstrap],
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1000,
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 500 },
  });
  const notices: string[] = [];
  let producer: FrameProducer | undefined;
  let collector: Collector | undefined;
  let ticker: NodeJS.Timeout | undefined;
  t.after(async () => {
    clearInterval(ticker);
    await producer?.close(1000).catch(() => undefined);
    await collector?.stop();
    await broker.stop();
  });

  const admin = broker.kafka.admin();
  await admin.connect();
  await createTopicsAndWait(admin, [{ topic: topics.frames, numPartitions: 1 }]);
  await admin.disconnect();

  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: "#468" } })
    .jpeg()
    .toBuffer();
  producer = new FrameProducer(kafka, {
    producerId: "recovery-test",
    maxQueue: 5,
    minBackoffMs: 200,
    maxBackoffMs: 1000,
    onNotice: (line) => notices.push(line),
  });

  // ~10 frames/s, each with the next seq, for the whole test.
  let offered = 0;
  const offer = () => {
    const frame: CapturedFrame = { jpeg, width: 64, height: 48, captureTime: Date.now() };
    producer?.offer(CAMERA, offered, frame);
    offered++;
  };
  ticker = setInterval(offer, 100);

  await waitFor("frames sent before the restart", () => (producer?.stats().sent ?? 0) >= 15, 30_000);
  await kafkaDown(brokerOptions);
  const downAt = offered;
  await sleep(2500); // ~25 frames offered into a queue of 5: most are dropped
  assert.equal(producer.stats().connected, false, "the producer noticed the broker is gone");
  const droppedWhileDown = producer.stats().dropped;
  assert.ok(droppedWhileDown > 0, `frames dropped while the broker was down (offered ${offered - downAt})`);
  await kafkaUp(brokerOptions);
  const upAt = offered;
  const sentAtUp = producer.stats().sent;

  // It reconnects by itself and frames offered from now on get through (more than the queue held).
  await waitFor("frames offered after the restart to be sent", () => (producer?.stats().sent ?? 0) >= sentAtUp + 10, 60_000);
  await sleep(2000);
  clearInterval(ticker);
  const final = await producer.close(20_000);
  producer = undefined;

  assert.ok(final.reconnects >= 1, `reconnects ${final.reconnects}`);
  assert.ok(final.errors >= 1, "the failed sends were counted");
  assert.equal(final.queueDepth + final.inFlight, 0);
  assert.equal(final.sent + final.dropped, offered, `sent ${final.sent} + dropped ${final.dropped} = offered ${offered}`);
  assert.ok(
    notices.some((l) => /broker reachable again/.test(l)),
    `a notice says it recovered: ${notices.join(" | ")}`,
  );

  collector = await Collector.start(broker.kafka, topics.frames);
  await waitFor(`${final.sent} frames in the topic`, () => (collector?.messages.length ?? 0) >= final.sent, 30_000);
  await sleep(500);
  const seqs = collector.messages.map((m) => {
    assert.equal(String(m.key), CAMERA);
    return parseFrameHeaders(m.headers ?? {}).seq;
  });
  // Every acknowledged frame is there. A send that failed as the broker went down may still have been
  // written (its acknowledgement was lost with the connection); its retry then writes it again
  // (at-least-once: duplicates carry the same seq, docs/design.md), and a dropped one may be there too.
  const distinct = [...new Set(seqs)];
  assert.ok(
    distinct.length >= final.sent && distinct.length <= final.sent + final.dropped,
    `topic: ${distinct.length} distinct frames; acknowledged ${final.sent}, dropped ${final.dropped}`,
  );
  for (let i = 1; i < distinct.length; i++)
    assert.ok((distinct[i] as number) > (distinct[i - 1] as number), `seq ${distinct[i]} after ${distinct[i - 1]}`);
  assert.ok(
    seqs.some((s) => s < downAt),
    "frames from before the restart",
  );
  assert.ok(
    seqs.some((s) => s >= upAt),
    "frames offered after the restart arrived",
  );
  assert.ok((seqs.at(-1) as number) >= offered - 5, "the newest frames were kept");
  // The gaps in the seqs are exactly the dropped frames.
  assert.equal(offered - seqs.length, final.dropped);
});
