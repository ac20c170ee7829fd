/**
 * End-to-end latency and throughput of the Kafka data path: camera frames → facefleet.frames →
 * `facefleet agent` processes (inference role) → facefleet.detections, for 1, 2, 4, 8 cameras at
 * 10 fps each with 1 and 2 agent processes, each with one and two frames in flight
 * (worker.framesInFlight), on this machine (the way Eye of Sauron charts latency against consumers).
 *
 *   npm run build && node dist/bench/pipeline/run.js
 *       [--agents 1,2] [--cameras 1,2,4,8] [--frames-in-flight 1,2] [--precision fp32|int8|auto]
 *       [--fps 10] [--warmup-s 3] [--measure-s 20] [--broker-port 19892] [--attempts 3] [--quiet-wait-s 90]
 *       [--out bench/results] [--stem pipeline] [--note "how the machine was when the run began"]
 *   node dist/bench/pipeline/run.js --report-only      # pipeline.md and the chart again from pipeline.json
 *
 * One run: its own broker (kafka/local-broker.ts, private ports, temp data dir), the topics (8 frame
 * partitions), a gallery of the clip's two people (`facefleet enroll` + `facefleet gallery push`);
 * then per configuration (agents × cameras × frames in flight, the in-flight values of one agents ×
 * cameras pair measured one after the other, so they see the same machine): N `facefleet agent`
 * processes with default settings (threads 1, worker.framesInFlight as the configuration says,
 * recognition.precision from --precision; without it the agent's default), wait until
 * the group is stable and every agent owns partitions, C cameras sending the frames of
 * short_hamilton_clip.mp4 (JPEG 640x360) at 10 fps each (key = camera, frame headers, capture-time
 * = send time), a warm-up that is not counted, the measured window, a drain (committed offsets reach
 * the end of the topic), CPU and peak RSS per process, and a graceful stop (SIGTERM).
 *
 * Latency of a frame = Kafka timestamp of its detection record (set by the agent's producer when the
 * detection is sent) − its capture time; "received" = when this process's consumer got the record
 * − capture time. Both clocks are this machine's. Writes <stem>.json, <stem>.md and
 * <stem>-latency.svg (atomically; stem "pipeline" unless --stem says otherwise).
 */
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs, promisify } from "node:util";
import kafkajs, { type Admin, type Consumer, type Kafka, type PartitionMetadata, type Producer } from "kafkajs";
import sharp from "sharp";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { nearestRank } from "../../core/stats.js";
import { kafkaDown, kafkaUp } from "../../kafka/local/local-broker.js";
import { ensureTopics, topicSpecs } from "../../kafka/topics-ensure.js";
import { precisionSchema } from "../../models/execution-provider.js";
import { encodeFrameHeaders } from "../../protocol/frame-headers.js";
import { topics } from "../../protocol/topics.js";
import { machineDescription } from "../support/machine.js";
import { examplesDir, sharedDir } from "../support/shared-data.js";
import { cpuPercent, cpuSample, memory } from "./proc-stats.js";
import { renderReport, renderSvg } from "./report.js";
import type { AgentResult, FramesInFlight, PipelineResults, ProcessResult, RunResult } from "./types.js";

const { Kafka: KafkaClient, Partitioners, logLevel } = kafkajs;
const execFileAsync = promisify(execFile);

const FRAME_PARTITIONS = 8;
const GROUP_ID = "facefleet-inference";
const PEOPLE = ["lin-manuel-miranda.png", "alex-lacamoire.png"];
/** Frames a camera may have waiting for the broker's acknowledgement; more are dropped (newest-wins capture keeps 30). */
const MAX_IN_FLIGHT_PER_CAMERA = 30;

const { values: opts } = parseArgs({
  options: {
    agents: { type: "string", default: "1,2" },
    cameras: { type: "string", default: "1,2,4,8" },
    "frames-in-flight": { type: "string", default: "1,2" },
    precision: { type: "string" },
    fps: { type: "string", default: "10" },
    "warmup-s": { type: "string", default: "3" },
    "measure-s": { type: "string", default: "20" },
    "broker-port": { type: "string", default: "19892" },
    attempts: { type: "string", default: "3" },
    "quiet-wait-s": { type: "string", default: "90" },
    out: { type: "string", default: "bench/results" },
    stem: { type: "string", default: "pipeline" },
    note: { type: "string" },
    "report-only": { type: "boolean", default: false },
  },
});
const list = (s: string) =>
  s
    .split(",")
    .map(Number)
    .filter((n) => Number.isInteger(n) && n > 0);
const agentCounts = list(opts.agents);
const cameraCounts = list(opts.cameras);
const fps = Number(opts.fps);
const warmupMs = Number(opts["warmup-s"]) * 1000;
const measureMs = Number(opts["measure-s"]) * 1000;
const outDir = opts.out;
const stem = opts.stem;
/** The broker's port; the controller listens on the next one. */
const BROKER_PORT = Number(opts["broker-port"]);
/** Attempts per configuration: another is made while other programs took more than OTHER_CPU_LIMIT during the window. */
const maxAttempts = Number(opts.attempts);
/** How long to wait for a quiet machine before each configuration. */
const quietWaitMs = Number(opts["quiet-wait-s"]) * 1000;
/** worker.framesInFlight values measured for every agents × cameras pair; 1 is the baseline. */
const inFlightValues = [...new Set(list(opts["frames-in-flight"]))] as FramesInFlight[];
/** recognition.precision for the agents; undefined: the agent's default (auto). */
const precision = opts.precision === undefined ? undefined : precisionSchema.safeParse(opts.precision).data;

const repoRoot = process.cwd();
const modelsEnv = process.env.FACEFLEET_MODELS ?? [path.join(repoRoot, ".facefleet", "models"), path.join(sharedDir, "models")].join(":");
const jarsDir = process.env.FACEFLEET_KAFKA_JARS || path.resolve(".facefleet/kafka/jars");
const log = (line: string) => process.stderr.write(`[pipeline ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

// ---------------------------------------------------------------------------------------------
// Detections, as seen by a consumer of facefleet.detections

type Seen = {
  camera: string;
  seq: number;
  captureTime: number;
  producedAt: number;
  receivedAt: number;
  agent: string;
  queueMs: number;
  totalMs: number;
  faces: number;
  named: number;
};

class DetectionCollector {
  readonly byCamera = new Map<string, Seen[]>();
  /** Next offset to read per partition (highest seen + 1). */
  readonly next = new Map<number, bigint>();
  private stopped = false;
  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka): Promise<DetectionCollector> {
    let self: DetectionCollector | undefined;
    const consumer = kafka.consumer({
      groupId: `bench-pipeline-detections-${process.pid}-${Date.now().toString(36)}`,
      maxWaitTimeInMs: 100,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      retry: { restartOnFailure: async () => self?.stopped !== true },
    });
    self = new DetectionCollector(consumer);
    const collector = self;
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.detections], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        const receivedAt = Date.now();
        for (const m of batch.messages) {
          const d = JSON.parse(String(m.value)) as {
            camera: string;
            seq: number;
            captureTime: number;
            agent: string;
            faces: { identity: string }[];
            timingsMs: { queue: number; total: number };
          };
          const seen: Seen = {
            camera: d.camera,
            seq: d.seq,
            captureTime: d.captureTime,
            producedAt: Number(m.timestamp),
            receivedAt,
            agent: d.agent,
            queueMs: d.timingsMs.queue,
            totalMs: d.timingsMs.total,
            faces: d.faces.length,
            named: d.faces.filter((f) => f.identity !== "Unknown").length,
          };
          const arr = collector.byCamera.get(d.camera) ?? [];
          arr.push(seen);
          collector.byCamera.set(d.camera, arr);
          collector.next.set(batch.partition, BigInt(m.offset) + 1n);
        }
      },
    });
    return collector;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer.disconnect().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------
// Agent processes

type AgentProcess = { id: string; child: ChildProcess; stderr: () => string; exited: Promise<number | null>; configFile: string };

function startAgentProcess(id: string, bootstrap: string, work: string, framesInFlight: FramesInFlight): AgentProcess {
  const configFile = path.join(work, `${id}.json`);
  const config = {
    agentId: id,
    kafka: { brokers: [bootstrap] },
    recognition: { threads: 1, ...(precision ? { precision } : {}) },
    worker: { framesInFlight },
  };
  writeFileSync(configFile, JSON.stringify(config, null, 2));
  const child = spawn(process.execPath, [path.join(repoRoot, "bin", "facefleet.js"), "agent", "--config", configFile], {
    cwd: repoRoot,
    // MALLOC_ARENA_MAX=2: as the agent's systemd unit and balena image run it (bench/results/agent-memory.md).
    env: { ...process.env, FACEFLEET_MODELS: modelsEnv, MALLOC_ARENA_MAX: "2" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { id, child, stderr: () => stderr, exited, configFile };
}

const ownedRe = /owns partitions \[([\d,]*)\]/g;

function lastOwned(stderr: string): number[] | undefined {
  const all = [...stderr.matchAll(ownedRe)];
  const last = all[all.length - 1];
  if (!last) return undefined;
  return (last[1] ?? "").split(",").filter(Boolean).map(Number);
}

async function waitFor(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs: number, pollMs = 200): Promise<number> {
  const started = Date.now();
  while (!(await predicate())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
  return Date.now() - started;
}

/** Every agent runs, the group is Stable with all of them, and their partitions cover the topic once. */
async function waitJoined(admin: Admin, agents: AgentProcess[]): Promise<number> {
  return waitFor(
    `${agents.length} agent(s) to join group ${GROUP_ID}`,
    async () => {
      for (const a of agents) {
        if (a.child.exitCode !== null) throw new Error(`agent ${a.id} exited with ${a.child.exitCode}:\n${a.stderr()}`);
        if (!/: running \(inference/.test(a.stderr())) return false;
      }
      const owned = agents.map((a) => lastOwned(a.stderr()) ?? []);
      const union = owned.flat();
      if (union.length !== FRAME_PARTITIONS || new Set(union).size !== FRAME_PARTITIONS) return false;
      if (agents.length > 1 && owned.some((o) => o.length === 0)) return false;
      const { groups } = await admin.describeGroups([GROUP_ID]);
      return groups[0]?.state === "Stable" && groups[0].members.length === agents.length;
    },
    120_000,
    250,
  );
}

async function stopAgents(agents: AgentProcess[]): Promise<(number | null)[]> {
  for (const a of agents) if (a.child.exitCode === null) a.child.kill("SIGTERM");
  return Promise.all(
    agents.map(async (a) => {
      const timeout = sleep(30_000).then(() => "timeout" as const);
      const r = await Promise.race([a.exited, timeout]);
      if (r === "timeout") {
        log(`agent ${a.id} did not stop within 30 s of SIGTERM: SIGKILL`);
        a.child.kill("SIGKILL");
        return a.exited;
      }
      return r;
    }),
  );
}

/** The agent's "models: …; N frame(s) in flight …" line: the models it loaded and the frames it keeps in flight. */
function parseModelsLine(stderr: string): { models: string | null; framesInFlight: number | null } {
  const line = /models: ([^\n]*)/.exec(stderr)?.[1];
  if (line === undefined) return { models: null, framesInFlight: null };
  const inFlight = /; (\d) frames? in flight/.exec(line);
  return { models: line.split(";")[0]?.trim() ?? null, framesInFlight: inFlight ? Number(inFlight[1]) : null };
}

function parseAgentLog(stderr: string) {
  const staleByCamera = new Map<string, number>();
  for (const m of stderr.matchAll(/skipped (\d+) stale frame\(s\) of camera (\S+)/g)) {
    const camera = m[2] as string;
    staleByCamera.set(camera, (staleByCamera.get(camera) ?? 0) + Number(m[1]));
  }
  const stopped = /stopped: frames (\d+) in \/ (\d+) out.*?, (\d+) stale skipped, (\d+) to DLQ/.exec(stderr);
  return {
    staleByCamera,
    framesIn: stopped ? Number(stopped[1]) : null,
    framesOut: stopped ? Number(stopped[2]) : null,
    staleSkipped: stopped ? Number(stopped[3]) : null,
    dlq: stopped ? Number(stopped[4]) : null,
    joins: [...stderr.matchAll(ownedRe)].length,
    crashes: [...stderr.matchAll(/consumer crashed/g)].length,
  };
}

// ---------------------------------------------------------------------------------------------
// Cameras

const partitionMetadata: PartitionMetadata[] = Array.from({ length: FRAME_PARTITIONS }, (_, i) => ({
  partitionErrorCode: 0,
  partitionId: i,
  leader: 1,
  replicas: [1],
  isr: [1],
}));
const defaultPartitioner = Partitioners.DefaultPartitioner();

/**
 * Camera ids of a configuration: unique to it (so its detections are told apart), and chosen so that
 * the default (murmur2) partitioner, which a capture producer uses, puts camera i on `partitions[i]`.
 */
function cameraIds(tag: string, partitions: number[]): string[] {
  return partitions.map((partition, i) => {
    for (let k = 0; k < 10_000; k++) {
      const id = `${tag}-cam${i}-${k}`;
      if (defaultPartitioner({ topic: topics.frames, partitionMetadata, message: { key: id, value: null } }) === partition) return id;
    }
    throw new Error(`no camera id for partition ${partition}`);
  });
}

/**
 * The partitions the cameras go to: taken from each agent's owned partitions in turn, so the cameras
 * are split evenly between the agents, as a planned fleet would (Kafka's round-robin assignment
 * follows the metadata's partition order, so "cameras on partitions 0..C-1" could all land on one agent).
 */
function cameraPartitions(owned: number[][], cameras: number): number[] {
  const out: number[] = [];
  for (let j = 0; out.length < cameras && j < FRAME_PARTITIONS; j++) {
    for (const list of owned) {
      const p = list[j];
      if (p !== undefined && out.length < cameras) out.push(p);
    }
  }
  if (out.length < cameras) throw new Error(`${cameras} cameras but only ${out.length} owned partitions`);
  return out;
}

type Sent = { camera: string; seq: number; captureTime: number };

type CameraTotals = { sent: Sent[]; dropped: number; sendErrors: number; lateTicks: number };

/**
 * One camera: a frame every 1000/fps ms from `startAt` (performance clock) until `endAt`,
 * capture-time = the wall clock at the tick; sends are not awaited in the loop (a camera does not
 * wait for the broker), at most MAX_IN_FLIGHT_PER_CAMERA at once. A tick more than one interval late
 * is skipped (counted), as a camera's shutter would not wait either.
 */
async function runCamera(
  producer: Producer,
  camera: string,
  frames: Buffer[],
  firstFrame: number,
  size: { width: number; height: number },
  startAt: number,
  endAt: number,
): Promise<CameraTotals> {
  const interval = 1000 / fps;
  const totals: CameraTotals = { sent: [], dropped: 0, sendErrors: 0, lateTicks: 0 };
  const pending = new Set<Promise<void>>();
  let seq = 0;
  for (let tick = 0; ; tick++) {
    const due = startAt + tick * interval;
    if (due >= endAt) break;
    const wait = due - performance.now();
    if (wait > 1) await sleep(wait);
    else if (wait < -interval) {
      totals.lateTicks++;
      continue;
    }
    if (pending.size >= MAX_IN_FLIGHT_PER_CAMERA) {
      totals.dropped++;
      continue;
    }
    const jpeg = frames[(firstFrame + tick) % frames.length] as Buffer;
    const captureTime = Date.now();
    const record = { camera, seq, captureTime };
    const headers = encodeFrameHeaders({ camera, seq, "capture-time": captureTime, ...size, format: "jpeg", producer: "bench-pipeline" });
    seq++;
    const p: Promise<void> = producer
      .send({ topic: topics.frames, acks: -1, messages: [{ key: camera, value: jpeg, headers }] })
      .then(() => {
        totals.sent.push(record);
      })
      .catch(() => {
        totals.sendErrors++;
      })
      .finally(() => pending.delete(p));
    pending.add(p);
  }
  await Promise.all(pending);
  return totals;
}

// ---------------------------------------------------------------------------------------------
// Statistics

export function percentile(sorted: number[], p: number): number | null {
  return sorted.length === 0 ? null : nearestRank(sorted, p / 100);
}

const round1 = (n: number | null) => (n === null ? null : Math.round(n * 10) / 10);

function distribution(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    p50: round1(percentile(sorted, 50)),
    p95: round1(percentile(sorted, 95)),
    p99: round1(percentile(sorted, 99)),
    max: round1(sorted.length > 0 ? (sorted[sorted.length - 1] as number) : null),
    mean: round1(sorted.length > 0 ? sorted.reduce((a, b) => a + b, 0) / sorted.length : null),
  };
}

/** Busy share of all cores from /proc/stat (percent of one core, so 2 cores = 200%). */
function systemCpu(): { atMs: number; busy: number; total: number } {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { atMs: performance.now(), busy: total - idle, total };
}

/**
 * Waits (at most maxMs) until the machine has been quiet for 3 s in a row: another program on the
 * same cores (a developer's tests, a build) would skew every figure. Quiet = all cores together busy
 * less than 30% of one core (the idle broker and this process use a few %).
 */
async function waitQuiet(maxMs: number): Promise<{ quiet: boolean; waitedMs: number }> {
  const started = Date.now();
  let streak = 0;
  while (Date.now() - started < maxMs) {
    const a = systemCpu();
    await sleep(1000);
    const b = systemCpu();
    const busy = ((b.busy - a.busy) / Math.max(1, b.total - a.total)) * 100 * machineDescription().cores;
    streak = busy < 30 ? streak + 1 : 0;
    if (streak >= 3) return { quiet: true, waitedMs: Date.now() - started };
  }
  return { quiet: false, waitedMs: Date.now() - started };
}

/** CPU the benchmark's own processes do not account for, in % of one core, above which a configuration is measured again. */
const OTHER_CPU_LIMIT = 25;

// ---------------------------------------------------------------------------------------------
// One configuration

type Env = {
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  collector: DetectionCollector;
  bootstrap: string;
  brokerPid: number;
  work: string;
  frames: Buffer[];
  size: { width: number; height: number };
};

const running = new Set<AgentProcess>();
/** For the watchdog: the broker runs detached, in its own process group. */
let brokerPidForWatchdog: number | undefined;

async function runConfiguration(
  env: Env,
  agentCount: number,
  cameraCount: number,
  framesInFlight: FramesInFlight,
  attempt: number,
): Promise<RunResult> {
  const tag = `a${agentCount}c${cameraCount}f${framesInFlight}t${attempt}`;
  log(`--- ${agentCount} agent(s), ${cameraCount} camera(s) at ${fps} fps, ${framesInFlight} frame(s) in flight ---`);
  const agents = Array.from({ length: agentCount }, (_, i) =>
    startAgentProcess(`bench-${tag}-${i + 1}`, env.bootstrap, env.work, framesInFlight),
  );
  for (const a of agents) running.add(a);
  try {
    const joinMs = await waitJoined(env.admin, agents);
    log(`joined in ${joinMs} ms: ${agents.map((a) => `${a.id} [${(lastOwned(a.stderr()) ?? []).join(",")}]`).join(", ")}`);
    const joinsBefore = agents.map((a) => parseAgentLog(a.stderr()).joins);
    const cameras = cameraIds(
      tag,
      cameraPartitions(
        agents.map((a) => (lastOwned(a.stderr()) ?? []).sort((x, y) => x - y)),
        cameraCount,
      ),
    );

    const startAt = performance.now() + 200;
    const wallStart = Date.now() + 200;
    const windowStart = wallStart + warmupMs;
    const windowEnd = windowStart + measureMs;
    const endAt = startAt + warmupMs + measureMs;
    // Cameras are not in step: each starts at its own phase within the frame interval.
    const cams = cameras.map((camera, i) =>
      runCamera(env.producer, camera, env.frames, i * 17, env.size, startAt + (i * (1000 / fps)) / cameraCount, endAt),
    );

    // CPU over the measured window.
    await sleep(Math.max(0, startAt + warmupMs - performance.now()));
    const pids = { agents: agents.map((a) => a.child.pid as number), broker: env.brokerPid };
    const cpuFrom = {
      agents: pids.agents.map(cpuSample),
      broker: cpuSample(pids.broker),
      self: process.cpuUsage(),
      at: performance.now(),
      sys: systemCpu(),
    };
    await sleep(Math.max(0, endAt - performance.now()));
    const selfCpu = process.cpuUsage(cpuFrom.self);
    const cpuTo = { agents: pids.agents.map(cpuSample), broker: cpuSample(pids.broker), at: performance.now(), sys: systemCpu() };
    const windowSeconds = (cpuTo.at - cpuFrom.at) / 1000;
    const totals = await Promise.all(cams);
    const rebalancesInWindow = agents.reduce((n, a, i) => n + parseAgentLog(a.stderr()).joins - (joinsBefore[i] ?? 0), 0);

    // Drain: every frame processed or skipped (committed offsets at the end), then every detection read.
    const drainStarted = Date.now();
    const drained = await waitFor(
      "the agents to commit to the end of facefleet.frames",
      async () => {
        const high = await env.admin.fetchTopicOffsets(topics.frames);
        const [committed] = await env.admin.fetchOffsets({ groupId: GROUP_ID, topics: [topics.frames] });
        return high.every((h) => {
          const offset = committed?.partitions.find((p) => p.partition === h.partition)?.offset;
          return offset === h.high || (offset === "-1" && h.high === h.low); // nothing ever sent there
        });
      },
      45_000,
      250,
    ).then(
      () => true,
      (error: Error) => {
        log(`${error.message}; going on`);
        return false;
      },
    );
    await waitFor(
      "the detections to be read",
      async () =>
        (await env.admin.fetchTopicOffsets(topics.detections)).every((h) => (env.collector.next.get(h.partition) ?? 0n) >= BigInt(h.high)),
      15_000,
      100,
    ).catch((error: Error) => log(`${error.message}; going on`));
    const drainMs = Date.now() - drainStarted;

    const mem = { agents: pids.agents.map(memory), broker: memory(pids.broker) };
    const exitCodes = await stopAgents(agents);
    const logs = agents.map((a) => parseAgentLog(a.stderr()));

    // Frames and their detections.
    const sent = totals.flatMap((t) => t.sent);
    const measured = sent.filter((s) => s.captureTime >= windowStart && s.captureTime < windowEnd);
    const seen = cameras.flatMap((c) => env.collector.byCamera.get(c) ?? []);
    const first = new Map<string, Seen>();
    let duplicates = 0;
    for (const d of seen) {
      const key = `${d.camera}/${d.seq}`;
      if (first.has(key)) duplicates++;
      else first.set(key, d);
    }
    const measuredSeen = measured.map((s) => first.get(`${s.camera}/${s.seq}`)).filter((d): d is Seen => d !== undefined);
    const producedInWindow = [...first.values()].filter((d) => d.producedAt >= windowStart && d.producedAt < windowEnd);
    const staleByCamera = new Map<string, number>();
    for (const l of logs) for (const [c, n] of l.staleByCamera) staleByCamera.set(c, (staleByCamera.get(c) ?? 0) + n);
    const staleSkipped = cameras.reduce((n, c) => n + (staleByCamera.get(c) ?? 0), 0);

    const agentResults: AgentResult[] = agents.map((a, i) => {
      const l = logs[i] as ReturnType<typeof parseAgentLog>;
      const m = mem.agents[i];
      const loaded = parseModelsLine(a.stderr());
      return {
        id: a.id,
        pid: pids.agents[i] as number,
        models: loaded.models,
        framesInFlightReported: loaded.framesInFlight,
        partitions: lastOwned(a.stderr()) ?? [],
        cpuPercent: cpuPercent(cpuFrom.agents[i], cpuTo.agents[i]),
        peakRssMiB: m?.peakRssMiB ?? null,
        rssMiB: m?.rssMiB ?? null,
        detectionsInWindow: producedInWindow.filter((d) => d.agent === a.id).length,
        framesIn: l.framesIn,
        framesOut: l.framesOut,
        staleSkipped: l.staleSkipped,
        dlq: l.dlq,
        groupJoins: l.joins,
        consumerCrashes: l.crashes,
        exitCode: exitCodes[i] ?? null,
      };
    });
    const broker: ProcessResult = {
      cpuPercent: cpuPercent(cpuFrom.broker, cpuTo.broker),
      peakRssMiB: mem.broker?.peakRssMiB ?? null,
      rssMiB: mem.broker?.rssMiB ?? null,
    };
    const driver: ProcessResult = {
      cpuPercent: Math.round(((selfCpu.user + selfCpu.system) / 1e6 / windowSeconds) * 1000) / 10,
      peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
      rssMiB: Math.round(process.memoryUsage().rss / 2 ** 20),
    };
    const sysBusy = ((cpuTo.sys.busy - cpuFrom.sys.busy) / (cpuTo.sys.total - cpuFrom.sys.total)) * 100 * machineDescription().cores;

    // Median latency per second of capture time: a rising line means the backlog grows (not sustainable).
    const latencyBySecond = Array.from({ length: Math.ceil(measureMs / 1000) }, (_, k) => {
      const from = windowStart + k * 1000;
      const values = measuredSeen
        .filter((d) => d.captureTime >= from && d.captureTime < from + 1000)
        .map((d) => d.producedAt - d.captureTime)
        .sort((x, y) => x - y);
      return round1(percentile(values, 50));
    });
    const known = latencyBySecond.filter((v): v is number => v !== null);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
    const latencyTrendMs = known.length >= 6 ? Math.round(mean(known.slice(-3)) - mean(known.slice(0, 3))) : null;

    const result: RunResult = {
      agents: agentCount,
      cameras: cameraCount,
      framesInFlight,
      cameraIds: cameras,
      offeredFps: fps * cameraCount,
      sentFps: Math.round((measured.length / (measureMs / 1000)) * 10) / 10,
      detectedFps: Math.round((producedInWindow.length / (measureMs / 1000)) * 10) / 10,
      framesSentInWindow: measured.length,
      framesDetectedInWindow: measuredSeen.length,
      framesNotDetectedInWindow: measured.length - measuredSeen.length,
      framesSentTotal: sent.length,
      framesDetectedTotal: first.size,
      duplicateDetections: duplicates,
      staleSkippedTotal: staleSkipped,
      droppedAtCapture: totals.reduce((n, t) => n + t.dropped, 0),
      lateTicks: totals.reduce((n, t) => n + t.lateTicks, 0),
      sendErrors: totals.reduce((n, t) => n + t.sendErrors, 0),
      latencyMs: distribution(measuredSeen.map((d) => d.producedAt - d.captureTime)),
      latencyBySecondP50: latencyBySecond,
      latencyTrendMs,
      receivedLatencyMs: distribution(measuredSeen.map((d) => d.receivedAt - d.captureTime)),
      queueMs: distribution(measuredSeen.map((d) => d.queueMs)),
      processingMs: distribution(measuredSeen.map((d) => d.totalMs)),
      facesPerFrame:
        measuredSeen.length > 0 ? Math.round((measuredSeen.reduce((n, d) => n + d.faces, 0) / measuredSeen.length) * 100) / 100 : null,
      namedFacesInWindow: measuredSeen.reduce((n, d) => n + d.named, 0),
      agentProcesses: agentResults,
      broker,
      driver,
      machineCpuPercent: Math.round(sysBusy * 10) / 10,
      otherCpuPercent:
        Math.round(
          (sysBusy - agentResults.reduce((n, a) => n + (a.cpuPercent ?? 0), 0) - (broker.cpuPercent ?? 0) - (driver.cpuPercent ?? 0)) * 10,
        ) / 10,
      attempt: 1,
      quietWaitMs: 0,
      joinMs,
      drained,
      drainMs,
      rebalancesInWindow,
    };
    log(
      `sent ${result.sentFps} fps, detected ${result.detectedFps} fps, latency p50 ${result.latencyMs.p50} p95 ${result.latencyMs.p95} p99 ${result.latencyMs.p99} ms (trend ${result.latencyTrendMs} ms), ` +
        `${result.framesNotDetectedInWindow}/${result.framesSentInWindow} measured frames without detection, ${staleSkipped} stale, ` +
        `CPU agents ${agentResults.map((a) => a.cpuPercent).join("/")}% broker ${broker.cpuPercent}% driver ${driver.cpuPercent}% machine ${result.machineCpuPercent}% (other programs ${result.otherCpuPercent}%)`,
    );
    return result;
  } finally {
    for (const a of agents) {
      if (a.child.exitCode === null && a.child.signalCode === null) a.child.kill("SIGKILL");
      running.delete(a);
    }
  }
}

// ---------------------------------------------------------------------------------------------

async function prepareFrames(work: string): Promise<{ frames: Buffer[]; size: { width: number; height: number } }> {
  const dir = path.join(work, "frames");
  mkdirSync(dir);
  const clip = path.join(examplesDir, "examples", "short_hamilton_clip.mp4");
  await execFileAsync(process.env.FACEFLEET_FFMPEG ?? "ffmpeg", [
    "-v",
    "error",
    "-i",
    clip,
    "-vf",
    `fps=${fps},scale=640:360`,
    "-c:v",
    "mjpeg",
    "-q:v",
    "5",
    path.join(dir, "f%04d.jpg"),
  ]);
  const frames = readdirSync(dir)
    .sort()
    .map((f) => readFileSync(path.join(dir, f)));
  const meta = await sharp(frames[0]).metadata();
  return { frames, size: { width: meta.width ?? 640, height: meta.height ?? 360 } };
}

async function publishGallery(work: string, bootstrap: string): Promise<string> {
  const people = path.join(work, "people");
  mkdirSync(people);
  for (const p of PEOPLE) copyFileSync(path.join(examplesDir, "examples", p), path.join(people, p));
  const gallery = path.join(work, "gallery.json");
  const cli = (args: string[]) =>
    execFileAsync(process.execPath, [path.join(repoRoot, "bin", "facefleet.js"), ...args], {
      cwd: repoRoot,
      env: { ...process.env, FACEFLEET_MODELS: modelsEnv },
    });
  await cli(["enroll", people, "--gallery", gallery, "--threads", "1"]);
  const pushed = await cli(["gallery", "push", "--gallery", gallery, "--brokers", bootstrap]);
  return pushed.stdout.trim();
}

async function measureAll(): Promise<PipelineResults> {
  const work = mkdtempSync(path.join(tmpdir(), "facefleet-bench-pipeline-"));
  const brokerOptions = { dataDir: path.join(work, "kafka"), jarsDir, port: BROKER_PORT, controllerPort: BROKER_PORT + 1, heap: "512m" };
  const started = Date.now();
  let brokerUp = false;
  const clients: { stop: () => Promise<void> }[] = [];
  const cleanup = async () => {
    for (const a of running) if (a.child.exitCode === null) a.child.kill("SIGKILL");
    for (const c of clients.reverse()) await c.stop().catch(() => undefined);
    if (brokerUp) await kafkaDown(brokerOptions).catch((error: Error) => log(`kafka down: ${error.message}`));
    rmSync(work, { recursive: true, force: true });
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping agents and broker`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    log(`broker on 127.0.0.1:${BROKER_PORT} (data ${brokerOptions.dataDir}, jars ${jarsDir})`);
    const up = await kafkaUp(brokerOptions);
    brokerUp = true;
    brokerPidForWatchdog = up.pid;
    if (up.state !== "started") throw new Error(`a broker already runs on ${up.bootstrap} (pid ${up.pid})`);
    const bootstrap = up.bootstrap;
    const kafka = new KafkaClient({ clientId: "bench-pipeline", brokers: [bootstrap], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    clients.push({ stop: () => admin.disconnect() });
    await ensureTopics(admin, topicSpecs({ framesPartitions: FRAME_PARTITIONS }));
    const { frames, size } = await prepareFrames(work);
    log(
      `${frames.length} frames of short_hamilton_clip.mp4 at ${fps} fps, ${size.width}x${size.height}, ${Math.round(frames.reduce((n, f) => n + f.length, 0) / frames.length / 1024)} KiB each`,
    );
    const pushed = await publishGallery(work, bootstrap);
    log(pushed);

    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    clients.push({ stop: () => producer.disconnect() });
    const collector = await DetectionCollector.start(kafka);
    clients.push(collector);

    const env: Env = { kafka, admin, producer, collector, bootstrap, brokerPid: up.pid, work, frames, size };
    const runs: RunResult[] = [];
    const discarded: RunResult[] = [];
    for (const a of agentCounts) {
      for (const c of cameraCounts) {
        // The in-flight values of one agents × cameras pair one after the other (interleaved), so they see the same machine.
        for (const f of inFlightValues) {
          // Measured again (at most maxAttempts in all) when other programs took CPU during the window.
          for (let attempt = 1; ; attempt++) {
            const quiet = await waitQuiet(quietWaitMs);
            if (!quiet.quiet) log(`the machine was not quiet within ${quietWaitMs / 1000} s (other programs running); measuring anyway`);
            const r = { ...(await runConfiguration(env, a, c, f, attempt)), attempt, quietWaitMs: quiet.waitedMs };
            if (r.otherCpuPercent <= OTHER_CPU_LIMIT || attempt >= maxAttempts) {
              runs.push(r);
              break;
            }
            log(`other programs used ${r.otherCpuPercent}% CPU during the window: measuring this configuration again`);
            discarded.push(r);
          }
        }
      }
    }
    const models = [
      ...new Set(runs.flatMap((r) => r.agentProcesses.map((p) => p.models ?? "unknown (no models line in the agent's log)"))),
    ];
    return {
      generatedAt: new Date().toISOString(),
      command: `node dist/bench/pipeline/run.js ${process.argv.slice(2).join(" ")}`.trim(),
      machine: machineDescription(),
      durationS: Math.round((Date.now() - started) / 1000),
      settings: {
        fpsPerCamera: fps,
        warmupS: warmupMs / 1000,
        measureS: measureMs / 1000,
        framePartitions: FRAME_PARTITIONS,
        frames: `${frames.length} frames of short_hamilton_clip.mp4, ${size.width}x${size.height} JPEG (ffmpeg -q:v 5), looped`,
        agentConfig:
          `defaults of agent/config.ts, recognition.threads 1 (one onnxruntime thread per session: with 2 frames in flight the detect thread's and the main thread's each), ` +
          `worker.framesInFlight ${inFlightValues.join(" and ")}, recognition.precision ${precision ?? "auto (the agent's default)"} ` +
          "(worker.annotated on-demand and no live viewer: no frame annotated; maxFrameAgeMs 5000, commitIntervalMs 1000), " +
          "environment MALLOC_ARENA_MAX=2 as the agent's systemd unit sets it",
        precision: precision ?? "auto",
        models: models.join(" | "),
        broker: `Kafka ${up.version}, heap 512m, 127.0.0.1:${BROKER_PORT}`,
        gallery: pushed,
        latency: "Kafka timestamp of the detection record (agent producer's create time) - frame capture-time header (= send time)",
      },
      goal: { cameras: 4, fps: 10, p95Ms: 150 },
      ...(opts.note ? { note: opts.note } : {}),
      otherCpuLimitPercent: OTHER_CPU_LIMIT,
      attemptsAllowed: maxAttempts,
      quietWaitS: quietWaitMs / 1000,
      runs,
      discarded,
    };
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await cleanup();
  }
}

async function writeOutputs(results: PipelineResults): Promise<void> {
  await writeFileAtomic(path.join(outDir, `${stem}.md`), renderReport(results, stem));
  await writeFileAtomic(path.join(outDir, `${stem}-latency.svg`), renderSvg(results));
}

/** A results file from before the in-flight column: its runs had one frame in flight. */
function withInFlight(results: PipelineResults): PipelineResults {
  const fill = (r: RunResult): RunResult => ({ ...r, framesInFlight: r.framesInFlight ?? 1 });
  return { ...results, runs: results.runs.map(fill), discarded: results.discarded.map(fill) };
}

/** One-line reasons for options the benchmark cannot run with. */
function badOptions(): string[] {
  const bad: string[] = [];
  if (agentCounts.length === 0) bad.push("--agents: a list of positive integers");
  if (cameraCounts.length === 0) bad.push("--cameras: a list of positive integers");
  if (inFlightValues.length === 0 || inFlightValues.some((f) => f !== 1 && f !== 2))
    bad.push("--frames-in-flight: a list of 1 and/or 2 (worker.framesInFlight)");
  if (opts.precision !== undefined && precision === undefined) bad.push(`--precision: fp32, int8 or auto, not '${opts.precision}'`);
  if (!(fps > 0)) bad.push("--fps: > 0");
  if (!(measureMs > 0)) bad.push("--measure-s: > 0");
  if (!(warmupMs >= 0)) bad.push("--warmup-s: ≥ 0");
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) bad.push("--attempts: an integer ≥ 1");
  if (!(quietWaitMs >= 0)) bad.push("--quiet-wait-s: ≥ 0");
  if (!Number.isInteger(BROKER_PORT) || BROKER_PORT < 1024 || BROKER_PORT > 65534) bad.push("--broker-port: an integer 1024-65534");
  if (!/^[A-Za-z0-9._-]+$/.test(stem)) bad.push("--stem: a file name without a folder (letters, digits, . _ -)");
  return bad;
}

async function main(): Promise<void> {
  const jsonPath = path.join(outDir, `${stem}.json`);
  if (opts["report-only"]) {
    await writeOutputs(withInFlight(JSON.parse(readFileSync(jsonPath, "utf8")) as PipelineResults));
    log(`rewrote ${outDir}/${stem}.md and ${stem}-latency.svg from ${jsonPath}`);
    return;
  }
  const bad = badOptions();
  if (bad.length > 0) {
    log(`bad options: ${bad.join("; ")}`);
    process.exit(2);
  }
  const results = await measureAll();
  await writeFileAtomic(jsonPath, `${JSON.stringify(results, null, 2)}\n`);
  await writeOutputs(results);
  log(`wrote ${jsonPath}, ${stem}.md, ${stem}-latency.svg in ${results.durationS} s`);
}

// A hard stop, should anything above hang: the finally blocks have had their chance by then. A configuration
// takes about half a minute, or up to three attempts of two and a half minutes on a busy machine.
const watchdogMinutes = Math.max(20, 5 * agentCounts.length * cameraCounts.length * inFlightValues.length);
const watchdog = setTimeout(
  () => {
    log(`watchdog: still running after ${watchdogMinutes} minutes; exiting`);
    for (const a of running) a.child.kill("SIGKILL");
    if (brokerPidForWatchdog !== undefined) {
      try {
        process.kill(-brokerPidForWatchdog, "SIGKILL");
      } catch {}
    }
    process.exit(1);
  },
  watchdogMinutes * 60 * 1000,
);
watchdog.unref();

main().then(
  () => process.exit(0),
  (error: Error) => {
    log(`failed: ${error.stack ?? error.message}`);
    process.exit(1);
  },
);
