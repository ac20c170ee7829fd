/**
 * A fleet on one machine for the coordinator's integration test and the failover benchmark: the
 * coordinator and the agents as real `facefleet` processes (so one can be SIGKILLed), their config
 * files, the coordinator's API, frames produced one per partition per round, and a ledger of the
 * detections (lost = produced without a detection, duplicates = (camera, seq) detected twice).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import kafkajs, { type Kafka, type Producer } from "kafkajs";
import type { AgentView, PlanView } from "../protocol/api.js";
import type { Detection } from "../protocol/detection.js";
import { topics } from "../protocol/topics.js";
import { Collector, frameHeaders } from "./kafka-harness.js";
import { exampleImage, repoRoot, testModelDirs } from "./paths.js";

const { Partitioners } = kafkajs;
const bin = path.join(repoRoot, "bin", "facefleet.js");

export type Line = { at: number; line: string };

/** A `facefleet …` child process with its stderr kept as timestamped lines. */
export class FleetProcess {
  readonly lines: Line[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(
    readonly name: string,
    args: string[],
    env: NodeJS.ProcessEnv = {},
  ) {
    this.child = spawn(process.execPath, [bin, ...args], {
      env: { ...process.env, FACEFLEET_MODELS: testModelDirs.join(path.delimiter), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let partial = "";
    const take = (chunk: Buffer) => {
      const parts = (partial + chunk.toString()).split("\n");
      partial = parts.pop() ?? "";
      for (const line of parts) if (line.trim()) this.lines.push({ at: Date.now(), line });
    };
    this.child.stdout?.on("data", take);
    this.child.stderr?.on("data", take);
    this.exited = new Promise((resolve) => this.child.on("close", (code) => resolve(code)));
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first line matching, with its time, or undefined. */
  find(pattern: RegExp, after = 0): Line | undefined {
    return this.lines.find((l) => l.at >= after && pattern.test(l.line));
  }

  kill(signal: NodeJS.Signals = "SIGKILL"): Promise<number | null> {
    if (this.running) this.child.kill(signal);
    return this.exited;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running) return;
    const timer = setTimeout(() => this.child.kill("SIGKILL"), graceMs);
    this.child.kill("SIGTERM");
    await this.exited;
    clearTimeout(timer);
  }

  dump(last = 60): string {
    return `--- ${this.name}\n${this.lines
      .slice(-last)
      .map((l) => `${l.at % 100_000} ${l.line}`)
      .join("\n")}`;
  }
}

export type FleetPorts = { bootstrap: string; mqttPort: number; httpPort: number };
export const TEST_TOKEN = "fleet-test-token-0123456789";
export const TEST_MQTT_PASSWORD = "fleet-test-mqtt-password";

export function writeCoordinatorConfig(dir: string, ports: FleetPorts, extra: Record<string, unknown> = {}): string {
  const file = path.join(dir, "coordinator.json");
  const config = {
    kafka: { brokers: [ports.bootstrap], clientId: "coordinator" },
    mqtt: { embedded: { host: "127.0.0.1", port: ports.mqttPort, password: TEST_MQTT_PASSWORD } },
    http: { host: "127.0.0.1", port: ports.httpPort, token: TEST_TOKEN },
    stateDir: path.join(dir, "coordinator-state"),
    liveness: { missedHealthMs: 4000, startupGraceMs: 8000 },
    planner: { intervalMs: 3000, cooldownMs: 20_000 },
    loadSampleMs: 1000,
    commandTimeoutMs: 3000,
    ...extra,
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/**
 * Agent settings for tests that kill and move agents: one CPU thread, float models, no annotation, every frame
 * processed however old, and fast failure detection (Kafka session 3 s, MQTT keepalive 2 s).
 */
export const FAST_FAILOVER_AGENT = {
  recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
  worker: {
    annotated: false,
    maxFrameAgeMs: 0,
    sessionTimeoutMs: 3000,
    heartbeatIntervalMs: 500,
    maxWaitMs: 200,
    commitIntervalMs: 500,
  },
  mqtt: { keepaliveS: 2, reconnectMs: 500 },
} as const;

/** An agent's `mqtt` section for the coordinator's embedded broker of a test fleet (health every second). */
export function fleetAgentMqtt(ports: FleetPorts) {
  return {
    ...FAST_FAILOVER_AGENT.mqtt,
    url: `mqtt://127.0.0.1:${ports.mqttPort}`,
    username: "facefleet",
    password: TEST_MQTT_PASSWORD,
    healthIntervalMs: 1000,
  };
}

export function writeAgentConfig(dir: string, agentId: string, ports: FleetPorts): string {
  const file = path.join(dir, `${agentId}.json`);
  const config = {
    agentId,
    kafka: { brokers: [ports.bootstrap], clientId: agentId },
    recognition: FAST_FAILOVER_AGENT.recognition,
    worker: { ...FAST_FAILOVER_AGENT.worker, assignment: "plan", statsLogIntervalMs: 0 },
    mqtt: fleetAgentMqtt(ports),
  };
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

/** The coordinator's REST API with the test token. */
export class CoordinatorApi {
  constructor(
    readonly baseUrl: string,
    private readonly token = TEST_TOKEN,
  ) {}

  async request(
    method: string,
    route: string,
    body?: unknown,
    token: string | null = this.token,
  ): Promise<{ status: number; json: unknown }> {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${this.baseUrl}${route}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let json: unknown = text;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON
    }
    return { status: response.status, json };
  }

  async plan(): Promise<PlanView> {
    const { status, json } = await this.request("GET", "/api/plan");
    if (status !== 200) throw new Error(`GET /api/plan: ${status} ${JSON.stringify(json)}`);
    return json as PlanView;
  }

  async agents(): Promise<AgentView[]> {
    const { status, json } = await this.request("GET", "/api/agents");
    if (status !== 200) throw new Error(`GET /api/agents: ${status} ${JSON.stringify(json)}`);
    return (json as { agents: AgentView[] }).agents;
  }

  /** Whether the API answers at all (any status). */
  async reachable(): Promise<boolean> {
    try {
      await fetch(`${this.baseUrl}/api/openapi.json`);
      return true;
    } catch {
      return false;
    }
  }
}

export type ProducedFrame = { partition: number; seq: number; at: number };

/** One frame per partition (camera `cam-<p>` on partition p) every `intervalMs`, until stopped. */
export class FrameFlow {
  readonly produced: ProducedFrame[] = [];
  /** Rounds whose send failed (their frames are not in `produced`). */
  failedSends = 0;
  private readonly nextSeq = new Map<number, number>();
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly jpeg = readFileSync(exampleImage("obama_small.jpg"));

  private constructor(
    private readonly producer: Producer,
    private readonly partitions: number,
  ) {}

  static async start(kafka: Kafka, partitions: number, intervalMs: number): Promise<FrameFlow> {
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const flow = new FrameFlow(producer, partitions);
    flow.running = true;
    flow.loop = (async () => {
      while (flow.running) {
        const started = Date.now();
        // A send the broker never acknowledged (it was down or hung past the producer's retries) is not
        // counted as produced; the next round goes on with new seqs.
        await flow.round().catch(() => {
          flow.failedSends++;
        });
        await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
      }
    })();
    return flow;
  }

  private async round(): Promise<void> {
    const now = Date.now();
    const messages = Array.from({ length: this.partitions }, (_, partition) => {
      const seq = this.nextSeq.get(partition) ?? 0;
      this.nextSeq.set(partition, seq + 1);
      return { partition, seq };
    });
    await this.producer.send({
      topic: topics.frames,
      acks: -1,
      messages: messages.map(({ partition, seq }) => ({
        key: `cam-${partition}`,
        partition,
        value: this.jpeg,
        headers: frameHeaders(`cam-${partition}`, seq, now),
      })),
    });
    const at = Date.now();
    for (const m of messages) this.produced.push({ ...m, at });
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.producer.disconnect();
  }
}

/** Every detection of the run, and what it says about the produced frames. */
export class DetectionLedger {
  private constructor(private readonly collector: Collector) {}

  static async start(kafka: Kafka): Promise<DetectionLedger> {
    return new DetectionLedger(await Collector.start(kafka, topics.detections));
  }

  all(): Detection[] {
    return this.collector.json<Detection>();
  }

  /** Produced frames without a detection. */
  missing(produced: readonly ProducedFrame[]): ProducedFrame[] {
    const seen = new Set(this.all().map((d) => `${d.camera}#${d.seq}`));
    return produced.filter((f) => !seen.has(`cam-${f.partition}#${f.seq}`));
  }

  /** (camera, seq) pairs detected more than once. */
  duplicates(): number {
    const counts = new Map<string, number>();
    for (const d of this.all()) counts.set(`${d.camera}#${d.seq}`, (counts.get(`${d.camera}#${d.seq}`) ?? 0) + 1);
    return [...counts.values()].filter((n) => n > 1).length;
  }

  /** Detections of `partition` by `agent` of frames captured at or after `since`. */
  processedBy(partition: number, agent: string, since: number): Detection[] {
    return this.all().filter((d) => d.partition === partition && d.agent === agent && d.captureTime >= since);
  }

  stop(): Promise<void> {
    return this.collector.stop();
  }
}

/** Polls `predicate` (an error counts as "not yet") every 250 ms until it holds or `timeoutMs` passes. */
export async function waitForAsync(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch {
      // not ready yet (API down, …)
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
