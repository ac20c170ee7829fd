/**
 * The frame fuzz run that the fuzz test and `npm run bench:fuzz` share: a broker of its own, one
 * `facefleet agent` process (inference only, one partition), the seeded cases of frame-fuzz.ts produced to
 * facefleet.frames, and every outcome read back from facefleet.detections and facefleet.dlq by offset. Reports,
 * per case kind and DLQ reason, what happened; the cases whose outcome was not the expected one; the agent's
 * resident memory before, at its peak and after; whether it crashed or stalled (no outcome for `stallMs` while
 * frames were waiting); how many lines it logged.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import kafkajs, { type Message } from "kafkajs";
import sharp from "sharp";
import { topics } from "../protocol/topics.js";
import { FleetProcess } from "./fleet.js";
import {
  FUZZ_KINDS,
  type FuzzCase,
  type FuzzExpectation,
  type FuzzKind,
  type FuzzPicture,
  generateFuzzCases,
  makeFuzzAssets,
} from "./frame-fuzz.js";
import { createTopics, startBroker, waitFor } from "./kafka-harness.js";
import { exampleImage } from "./paths.js";

const { Partitioners } = kafkajs;

export type FrameFuzzOptions = {
  seed: number;
  count: number;
  /** The broker's port (and port + 1 for its controller). */
  port: number;
  /** No outcome for this long while frames wait = a stall (default 90 s). */
  stallMs?: number;
  say?: (line: string) => void;
};

type Outcome = { kind: "detection"; faces: number } | { kind: "dlq"; stage: string; reason: string; frameHeaders: number; bytes: number };

export type FuzzMismatch = { index: number; kind: FuzzKind; expected: FuzzExpectation; got: string };

export type FrameFuzzReport = {
  seed: number;
  cases: number;
  byKind: Record<string, { cases: number; detections: number; dlq: number }>;
  dlqByStage: Record<string, number>;
  /** DLQ reasons with their numbers and quoted values blanked, most frequent first. */
  dlqByReason: { reason: string; count: number }[];
  valid: { cases: number; detected: number };
  mismatches: FuzzMismatch[];
  /** Cases with no outcome at all by the end. */
  missing: number[];
  /** Offsets that had more than one outcome. */
  duplicates: number;
  crashed: boolean;
  agentExit: number | null;
  stalled: boolean;
  durationMs: number;
  framesPerSecond: number;
  rssMb: { before: number; peak: number; after: number };
  agentLogLines: number;
  agentLogTail: string;
  /** The largest DLQ record's count of copied `frame.*` headers. */
  maxDlqFrameHeaders: number;
};

/** The pictures the valid cases carry, with their true sizes and the faces in them. */
export async function fuzzPictures(): Promise<FuzzPicture[]> {
  const out: FuzzPicture[] = [];
  for (const name of ["obama_small.jpg", "obama-240p.jpg"]) {
    const jpeg = readFileSync(exampleImage(name));
    const { width = 0, height = 0 } = await sharp(jpeg).metadata();
    out.push({ jpeg, width, height, faces: 1 });
  }
  return out;
}

function rssMb(pid: number | undefined): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+)`).exec(status)?.[1] ?? 0);
    return { rss: Math.round(kb("VmRSS") / 1024), hwm: Math.round(kb("VmHWM") / 1024) };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** "frame is 1234 bytes, 'abc'" → "frame is N bytes, '…'": reasons grouped by their shape. */
export function reasonShape(reason: string): string {
  return reason
    .replace(/'[^']*'/g, "'…'")
    .replace(/\d+(\.\d+)?/g, "N")
    .slice(0, 140);
}

const MAX_FRAME_BYTES = 200_000;
/** Records of one produce request: under the broker's 1 MB record-batch limit. */
const BATCH_BYTES = 500_000;

export async function runFrameFuzz(options: FrameFuzzOptions): Promise<FrameFuzzReport> {
  const say = options.say ?? (() => {});
  const stallMs = options.stallMs ?? 90_000;
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-fuzz-"));
  const broker = await startBroker(options.port);
  let agent: FleetProcess | undefined;
  const consumers: kafkajs.Consumer[] = [];
  try {
    await createTopics(broker.kafka, 1);
    const assets = await makeFuzzAssets(await fuzzPictures(), MAX_FRAME_BYTES, options.seed);
    const cases: FuzzCase[] = [...generateFuzzCases(options.seed, options.count, assets)];

    const configFile = path.join(dir, "agent.json");
    writeFileSync(
      configFile,
      JSON.stringify({
        agentId: "fuzz-agent",
        kafka: { brokers: [broker.bootstrap], clientId: "fuzz-agent" },
        recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
        worker: {
          groupId: "fuzz-inference",
          annotated: "never",
          maxFrameBytes: MAX_FRAME_BYTES,
          maxFrameAgeMs: 0,
          maxWaitMs: 200,
          statsLogIntervalMs: 0,
        },
      }),
    );

    // Outcomes by offset of facefleet.frames, read from the agent's outputs.
    const outcomes = new Map<number, Outcome[]>();
    let lastOutcomeAt = Date.now();
    let maxDlqFrameHeaders = 0;
    const note = (offset: number, outcome: Outcome) => {
      const list = outcomes.get(offset) ?? [];
      list.push(outcome);
      outcomes.set(offset, list);
      lastOutcomeAt = Date.now();
    };
    for (const topic of [topics.detections, topics.dlq]) {
      const consumer = broker.kafka.consumer({ groupId: `fuzz-reader-${topic}`, maxWaitTimeInMs: 200 });
      consumers.push(consumer);
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ message }) => {
          if (topic === topics.detections) {
            const detection = JSON.parse(String(message.value)) as { offset: string; faces: unknown[] };
            note(Number(detection.offset), { kind: "detection", faces: detection.faces.length });
          } else {
            const h = (name: string) => message.headers?.[name]?.toString() ?? "";
            const frameHeaders = Object.keys(message.headers ?? {}).filter((k) => k.startsWith("frame.")).length;
            maxDlqFrameHeaders = Math.max(maxDlqFrameHeaders, frameHeaders);
            note(Number(h("source-offset")), {
              kind: "dlq",
              stage: h("stage"),
              reason: h("reason"),
              frameHeaders,
              bytes: message.value?.length ?? 0,
            });
          }
        },
      });
    }

    agent = new FleetProcess("agent", ["agent", "--config", configFile]);
    const running = agent;
    await waitFor(
      "the fuzz agent to own its partition",
      () => running.find(/owns partitions \[0\]/) !== undefined || !running.running,
      120_000,
    );
    if (!agent.running) throw new Error(`the fuzz agent exited at start\n${agent.dump()}`);
    const before = rssMb(agent.child.pid).rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssMb(running.child.pid).rss);
    }, 250);

    const startedAt = Date.now();
    const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, allowAutoTopicCreation: false });
    await producer.connect();
    const offsetOf = new Map<number, number>(); // case index → offset
    let batch: FuzzCase[] = [];
    let batchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const messages: Message[] = batch.map((c) => ({ key: c.record.key, value: c.record.value, headers: c.record.headers, partition: 0 }));
      const [sent] = await producer.send({ topic: topics.frames, acks: -1, messages });
      const base = Number(sent?.baseOffset);
      for (const [i, c] of batch.entries()) offsetOf.set(c.index, base + i);
      batch = [];
      batchBytes = 0;
    };
    for (const c of cases) {
      const headerBytes = Object.entries(c.record.headers).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
      const size = (c.record.value?.length ?? 0) + headerBytes + 64;
      if (batchBytes + size > BATCH_BYTES) await flush();
      batch.push(c);
      batchBytes += size;
    }
    await flush();
    await producer.disconnect();
    say(`produced ${cases.length} cases in ${Date.now() - startedAt} ms; waiting for the agent`);

    // Wait until every case has an outcome, the agent exits, or nothing comes for stallMs.
    let stalled = false;
    let reported = 0;
    lastOutcomeAt = Math.max(lastOutcomeAt, Date.now());
    while (outcomes.size < cases.length && agent.running) {
      if (Date.now() - lastOutcomeAt > stallMs) {
        stalled = true;
        break;
      }
      if (outcomes.size - reported >= 1000) {
        reported = outcomes.size;
        say(`  ${outcomes.size}/${cases.length} outcomes, agent RSS ${rssMb(agent.child.pid).rss} MB`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    const durationMs = Date.now() - startedAt;
    // Late duplicates would show within a moment.
    await new Promise((r) => setTimeout(r, 1000));
    clearInterval(sampler);
    const after = rssMb(agent.child.pid);
    peak = Math.max(peak, after.hwm);
    const crashed = !agent.running;
    const agentExit = agent.child.exitCode;

    const byKind: FrameFuzzReport["byKind"] = {};
    for (const kind of FUZZ_KINDS) byKind[kind] = { cases: 0, detections: 0, dlq: 0 };
    const dlqByStage: Record<string, number> = {};
    const reasons = new Map<string, number>();
    const mismatches: FuzzMismatch[] = [];
    const missing: number[] = [];
    let duplicates = 0;
    const valid = { cases: 0, detected: 0 };
    for (const c of cases) {
      const k = byKind[c.kind] as { cases: number; detections: number; dlq: number };
      k.cases++;
      const got = outcomes.get(offsetOf.get(c.index) ?? -1) ?? [];
      if (got.length > 1) duplicates += got.length - 1;
      const outcome = got[0];
      if (!outcome) {
        missing.push(c.index);
        continue;
      }
      if (outcome.kind === "detection") k.detections++;
      else {
        k.dlq++;
        dlqByStage[outcome.stage] = (dlqByStage[outcome.stage] ?? 0) + 1;
        const shape = reasonShape(outcome.reason);
        reasons.set(shape, (reasons.get(shape) ?? 0) + 1);
      }
      if (c.expect.outcome === "detection") valid.cases++;
      if (c.expect.outcome === "detection" && outcome.kind === "detection" && outcome.faces >= c.expect.minFaces) valid.detected++;
      const describe = (o: Outcome) => (o.kind === "detection" ? `detection with ${o.faces} face(s)` : `DLQ ${o.stage}: ${o.reason}`);
      const ok =
        c.expect.outcome === "either" ||
        (c.expect.outcome === "detection" && outcome.kind === "detection" && outcome.faces >= c.expect.minFaces) ||
        (c.expect.outcome === "dlq" &&
          outcome.kind === "dlq" &&
          c.expect.stages.includes(outcome.stage as never) &&
          outcome.reason.length > 0);
      if (!ok) mismatches.push({ index: c.index, kind: c.kind, expected: c.expect, got: describe(outcome).slice(0, 300) });
    }
    return {
      seed: options.seed,
      cases: cases.length,
      byKind,
      dlqByStage,
      dlqByReason: [...reasons].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count),
      valid,
      mismatches,
      missing,
      duplicates,
      crashed,
      agentExit,
      stalled,
      durationMs,
      framesPerSecond: Math.round((outcomes.size / (durationMs / 1000)) * 10) / 10,
      rssMb: { before, peak, after: after.rss },
      agentLogLines: agent.lines.length,
      agentLogTail: agent.dump(30),
      maxDlqFrameHeaders,
    };
  } finally {
    await agent?.stop().catch(() => undefined);
    for (const consumer of consumers) await consumer.disconnect().catch(() => undefined);
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
