/**
 * What the agent tests share: a real broker on private ports (from the jars, as in
 * test/kafka/local-broker.test.ts), the facefleet topics, frames produced the way capture does,
 * collectors that read a topic from its beginning, and CLI commands run in a child process (so
 * their stdout never mixes with the test runner's).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import kafkajs, { type Consumer, type IHeaders, type ITopicConfig, type Kafka, type KafkaMessage } from "kafkajs";
import { createTopicsAndWait } from "../kafka/create-topics.js";
import { kafkaDown, kafkaUp } from "../kafka/local/local-broker.js";
import { encodeFrameHeaders } from "../protocol/frame-headers.js";
import { topics } from "../protocol/topics.js";
import { testModelDirs } from "./paths.js";

const { Kafka: KafkaClient, logLevel } = kafkajs;

const jarsDir = process.env.FACEFLEET_KAFKA_JARS || path.resolve(".facefleet/kafka/jars");

export type TestBroker = {
  bootstrap: string;
  kafka: Kafka;
  dataDir: string;
  restart(downMs: number): Promise<void>;
  stop(): Promise<void>;
};

export async function startBroker(port: number): Promise<TestBroker> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "facefleet-agent-kafka-"));
  const options = { dataDir, jarsDir, port, controllerPort: port + 1, heap: "384m" };
  await kafkaUp(options);
  const bootstrap = `127.0.0.1:${port}`;
  // Client log entries are dropped: the first group join meets "coordinator not available" while
  // __consumer_offsets is created, and kafkajs retries it.
  const kafka = new KafkaClient({ clientId: "facefleet-agent-test", brokers: [bootstrap], logLevel: logLevel.NOTHING });
  return {
    bootstrap,
    kafka,
    dataDir,
    /** `kafka down`, a pause, `kafka up` on the same data dir and ports (topics and offsets survive). */
    async restart(downMs: number) {
      await kafkaDown(options);
      await sleep(downMs);
      await kafkaUp(options);
    },
    async stop() {
      await kafkaDown(options).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The topics of docs/design.md (what `facefleet topics ensure` will create), sized for a test. */
export async function createTopics(kafka: Kafka, framesPartitions = 2): Promise<void> {
  await createTopicsReady(kafka, [
    { topic: topics.frames, numPartitions: framesPartitions },
    { topic: topics.detections, numPartitions: 1 },
    { topic: topics.annotated, numPartitions: 1 },
    { topic: topics.events, numPartitions: 1 },
    { topic: topics.dlq, numPartitions: 1 },
    { topic: topics.gallery, numPartitions: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] },
  ]);
}

/** The compacted facefleet.plan topic (what agents following the coordinator's plan need). */
export async function createPlanTopic(kafka: Kafka): Promise<void> {
  await createTopicsReady(kafka, [{ topic: topics.plan, numPartitions: 1, configEntries: [{ name: "cleanup.policy", value: "compact" }] }]);
}

async function createTopicsReady(kafka: Kafka, specs: ITopicConfig[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await createTopicsAndWait(admin, specs);
  } finally {
    await admin.disconnect();
  }
}

export function frameHeaders(camera: string, seq: number, captureTime = Date.now(), size = { width: 640, height: 360 }): IHeaders {
  return encodeFrameHeaders({ camera, seq, "capture-time": captureTime, ...size, format: "jpeg", producer: "agent-test" });
}

/** Reads a topic from its beginning into `messages` until stopped (a group of its own, nothing committed). */
export class Collector {
  readonly messages: KafkaMessage[] = [];
  /** The partition of each of `messages`, index for index. */
  readonly partitions: number[] = [];
  private stopped = false;
  private constructor(private readonly consumer: Consumer) {}

  static async start(kafka: Kafka, topic: string): Promise<Collector> {
    let collector: Collector | undefined;
    const consumer = kafka.consumer({
      groupId: `collector-${topic}-${Math.random().toString(36).slice(2)}`,
      maxWaitTimeInMs: 200,
      sessionTimeout: 6000,
      heartbeatInterval: 1000,
      retry: { restartOnFailure: async () => collector?.stopped !== true },
    });
    collector = new Collector(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        collector?.messages.push(message);
        collector?.partitions.push(partition);
      },
    });
    return collector;
  }

  json<T>(): T[] {
    return this.messages.map((m) => JSON.parse(String(m.value)) as T);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer.disconnect().catch(() => undefined);
  }
}

export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 60_000, pollMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/** A facefleet CLI command (not yet in cli/main.ts) run in a child node, as main() would run it. */
export type ChildCommand = { child: ChildProcess; stdout: () => string; stderr: () => string; exited: Promise<number | null> };

const commandModules = {
  agent: ["../cli/commands/agent.js", "agentCommand"],
  gallery: ["../cli/commands/gallery.js", "galleryCommand"],
  tail: ["../cli/commands/tail.js", "tailCommand"],
} as const;

export function startCommand(name: keyof typeof commandModules, args: string[]): ChildCommand {
  const [file, exported] = commandModules[name];
  const module = new URL(file, import.meta.url).href;
  const script = `import(${JSON.stringify(module)}).then(async (m) => {
    try { process.exitCode = await m[${JSON.stringify(exported)}].run(process.argv.slice(1)); }
    catch (e) { process.stderr.write("facefleet ${name}: " + e.message + "\\n"); process.exitCode = e.exitCode ?? 1; }
  })`;
  const child = spawn(process.execPath, ["-e", script, "--", ...args], {
    env: { ...process.env, FACEFLEET_MODELS: testModelDirs.join(path.delimiter) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout?.on("data", (d) => (stdout += d));
  child.stderr?.on("data", (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

export async function runCommand(
  name: keyof typeof commandModules,
  args: string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const run = startCommand(name, args);
  const code = await run.exited;
  return { code, stdout: run.stdout(), stderr: run.stderr() };
}
