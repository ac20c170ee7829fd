/**
 * A fleet for fault injection, shared by test/faults/ and bench/faults (and the soak): a broker of its own from the
 * jars, `facefleet coordinator` with its embedded MQTT broker, `facefleet agent` processes following the plan, each
 * reaching Kafka and MQTT through a testing/tcp-proxy.ts of its own (so its network can be cut alone), frames from
 * several cameras (one per partition), and a ledger of the detections with the time this process read each one.
 *
 * Every fault is measured the same way (`measure`): frames produced from the fault's start until the fleet is
 * back, how many of them have no detection at the end (lost) and how many were detected twice (duplicated,
 * at-least-once), and the recovery time: from the fault's end (the SIGCONT, the heal, the restart, the kill)
 * until every partition has a detection of a frame produced after that moment (`processedMs`), and until every
 * live agent is online again, following the plan with work of its own (`restoredMs`).
 * The clocks used are this process's: an agent's clock may be the fault.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type Consumer, Kafka, logLevel } from "kafkajs";
import { readPidFile } from "../kafka/local/process-file.js";
import { partitionsOf } from "../protocol/plan.js";
import { topics } from "../protocol/topics.js";
import {
  CoordinatorApi,
  FAST_FAILOVER_AGENT,
  FleetProcess,
  FrameFlow,
  type ProducedFrame,
  TEST_MQTT_PASSWORD,
  waitForAsync,
  writeCoordinatorConfig,
} from "./fleet.js";
import { createPlanTopic, createTopics, startBroker, type TestBroker } from "./kafka-harness.js";
import { TcpProxy } from "./tcp-proxy.js";

export type FaultFleetOptions = {
  /** First of a block of 40 ports: broker, controller (+1), MQTT (+10), HTTP (+11), proxies (+20 …). */
  basePort: number;
  agents: string[];
  partitions: number;
  /** One frame per partition this often. */
  intervalMs: number;
  /** Extra agent settings merged into `worker` (e.g. maxFrameAgeMs). */
  worker?: Record<string, unknown>;
  /** Each process writes its memory (rss, heap) to `<memoryDir>/<name>.json` every 5 s (testing/fault-preload.ts). */
  memoryDir?: string;
};

/** What happened to the frames of one fault. */
export type FaultMeasure = {
  fault: string;
  produced: number;
  lost: number;
  duplicated: number;
  /** Fault end → every partition has a detection of a frame produced after it. */
  processedMs: number;
  /** Fault end → every live agent online and holding what the plan gives it, every partition owned by a live one. */
  restoredMs: number;
  note?: string;
};

type Seen = { camera: string; seq: number; partition: number; agent: string; receivedAt: number };

/** Detections read from facefleet.detections, with the time this process read each. */
export class ReceiptLedger {
  readonly seen: Seen[] = [];
  private readonly count = new Map<string, number>();
  private readonly records = new Set<string>();
  private stopped = false;
  private constructor(private readonly consumer: Consumer) {}

  static async start(broker: TestBroker): Promise<ReceiptLedger> {
    let ledger: ReceiptLedger | undefined;
    // A client of its own with a short request timeout: a fetch left hanging by a broker restart would otherwise
    // hold the ledger for kafkajs's 30 s, and the fault would look that long (the fleet had recovered long before).
    const kafka = new Kafka({ clientId: "fault-ledger", brokers: [broker.bootstrap], requestTimeout: 5000, logLevel: logLevel.NOTHING });
    const consumer = kafka.consumer({
      groupId: `fault-ledger-${Math.random().toString(36).slice(2)}`,
      maxWaitTimeInMs: 100,
      sessionTimeout: 30_000,
      heartbeatInterval: 3000,
      // Short backoffs too: kafkajs doubles the wait up to maxRetryTime (30 s by default).
      retry: { retries: 1000, initialRetryTime: 100, maxRetryTime: 1000, restartOnFailure: async () => ledger?.stopped !== true },
    });
    ledger = new ReceiptLedger(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics: [topics.detections], fromBeginning: true });
    const self = ledger;
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message, partition }) => {
        // A record read again (the ledger's own consumer restarted after a broker fault and, committing nothing, read
        // from the start) is not a second detection; a frame processed twice is two records.
        const record = `${partition}:${message.offset}`;
        if (self.records.has(record)) return;
        self.records.add(record);
        const d = JSON.parse(String(message.value)) as { camera: string; seq: number; partition: number; agent: string };
        const key = `${d.camera}#${d.seq}`;
        self.count.set(key, (self.count.get(key) ?? 0) + 1);
        self.seen.push({ camera: d.camera, seq: d.seq, partition: d.partition, agent: d.agent, receivedAt: Date.now() });
      },
    });
    return ledger;
  }

  timesDetected(frame: ProducedFrame): number {
    return this.count.get(`cam-${frame.partition}#${frame.seq}`) ?? 0;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.consumer.disconnect().catch(() => undefined);
  }
}

export type AgentRun = { id: string; process: FleetProcess; kafkaProxy: TcpProxy; mqttProxy: TcpProxy; clockOffsetMs: number };

const preload = pathToFileURL(path.join(path.dirname(new URL(import.meta.url).pathname), "fault-preload.js")).href;

export class FaultFleet {
  readonly agents = new Map<string, AgentRun>();
  readonly processes: FleetProcess[] = [];
  coordinator!: FleetProcess;
  flow!: FrameFlow;
  ledger!: ReceiptLedger;
  readonly api: CoordinatorApi;
  private readonly coordinatorConfig: string;
  readonly mqttPort: number;

  private constructor(
    readonly options: FaultFleetOptions,
    readonly broker: TestBroker,
    readonly dir: string,
  ) {
    this.mqttPort = options.basePort + 10;
    const ports = { bootstrap: broker.bootstrap, mqttPort: this.mqttPort, httpPort: options.basePort + 11 };
    this.coordinatorConfig = writeCoordinatorConfig(dir, ports, {
      liveness: { missedHealthMs: 4000, startupGraceMs: 6000 },
      planner: { intervalMs: 2000, cooldownMs: 5000 },
    });
    this.api = new CoordinatorApi(`http://127.0.0.1:${ports.httpPort}`);
  }

  /** Broker, topics, coordinator and agents up, every agent following the plan with work; then frames flow. */
  static async start(options: FaultFleetOptions): Promise<FaultFleet> {
    const dir = mkdtempSync(path.join(tmpdir(), "facefleet-faults-"));
    const broker = await startBroker(options.basePort);
    const fleet = new FaultFleet(options, broker, dir);
    try {
      await createTopics(broker.kafka, options.partitions);
      await createPlanTopic(broker.kafka);
      fleet.startCoordinator();
      await fleet.until("the coordinator's API", () => fleet.api.reachable(), 60_000);
      for (const [i, id] of options.agents.entries()) {
        const kafkaProxy = await TcpProxy.start(options.basePort + 20 + 2 * i, { host: "127.0.0.1", port: options.basePort });
        const mqttProxy = await TcpProxy.start(options.basePort + 21 + 2 * i, { host: "127.0.0.1", port: fleet.mqttPort });
        fleet.agents.set(id, { id, process: undefined as unknown as FleetProcess, kafkaProxy, mqttProxy, clockOffsetMs: 0 });
        fleet.startAgent(id);
      }
      await fleet.until(
        "every agent following the plan",
        async () => (await fleet.restored()) && (await fleet.everyAgentHasWork()),
        180_000,
      );
      fleet.ledger = await ReceiptLedger.start(broker);
      fleet.flow = await FrameFlow.start(broker.kafka, options.partitions, options.intervalMs);
      const flowing = Date.now();
      await fleet.until("every partition processed", () => fleet.everyPartitionProcessedSince(flowing), 120_000);
      return fleet;
    } catch (error) {
      await fleet.stop();
      throw error;
    }
  }

  startCoordinator(): FleetProcess {
    this.coordinator = new FleetProcess("coordinator", ["coordinator", "--config", this.coordinatorConfig], this.preloadEnv("coordinator"));
    this.processes.push(this.coordinator);
    return this.coordinator;
  }

  /** (Re)starts agent `id` (its proxies stay), with its clock `clockOffsetMs` off and extra `worker` settings. */
  startAgent(id: string, clockOffsetMs = 0, worker: Record<string, unknown> = {}): FleetProcess {
    const run = this.agents.get(id);
    if (!run) throw new Error(`no agent ${id} in this fleet`);
    const file = path.join(this.dir, `${id}.json`);
    const config = {
      agentId: id,
      kafka: { brokers: [this.broker.bootstrap], clientId: id },
      recognition: FAST_FAILOVER_AGENT.recognition,
      worker: { ...FAST_FAILOVER_AGENT.worker, assignment: "plan", statsLogIntervalMs: 0, ...this.options.worker, ...worker },
      mqtt: {
        ...FAST_FAILOVER_AGENT.mqtt,
        url: `mqtt://127.0.0.1:${run.mqttProxy.port}`,
        username: "facefleet",
        password: TEST_MQTT_PASSWORD,
        healthIntervalMs: 1000,
      },
    };
    writeFileSyncJson(file, config);
    const env: NodeJS.ProcessEnv = {
      ...this.preloadEnv(id),
      FACEFLEET_FAULT_REDIRECT: `${this.options.basePort}:${run.kafkaProxy.port}`,
      FACEFLEET_FAULT_CLOCK_OFFSET_MS: String(clockOffsetMs),
    };
    run.process = new FleetProcess(id, ["agent", "--config", file], env);
    run.clockOffsetMs = clockOffsetMs;
    this.processes.push(run.process);
    return run.process;
  }

  /** testing/fault-preload.ts in a process of this fleet (and its memory file, when asked for). */
  private preloadEnv(name: string): NodeJS.ProcessEnv {
    return {
      NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ""} --import=${preload}`.trim(),
      ...(this.options.memoryDir ? { FACEFLEET_FAULT_MEMORY_FILE: path.join(this.options.memoryDir, `${name}.json`) } : {}),
    };
  }

  agent(id: string): AgentRun {
    const run = this.agents.get(id);
    if (!run) throw new Error(`no agent ${id} in this fleet`);
    return run;
  }

  /** The broker's pid (the java process group leader). */
  brokerPid(): number {
    const record = readPidFile(path.join(this.broker.dataDir, "broker.pid"));
    if (!record) throw new Error("the broker has no pid file");
    return record.pid;
  }

  /**
   * Every live agent online and holding exactly what the plan gives it, every partition owned by a live agent.
   * (Whether an agent that came back gets work again is the planner's choice: it moves partitions only when that
   * pays, so one agent may keep a load it carries well.)
   */
  async restored(): Promise<boolean> {
    const live = [...this.agents.values()].filter((a) => a.process?.running).map((a) => a.id);
    const [view, list] = await Promise.all([this.api.plan(), this.api.agents()]);
    const plan = view.plan;
    if (!plan || Object.keys(plan.owners).length !== this.options.partitions) return false;
    return (
      live.every((id) => {
        const a = list.find((x) => x.id === id);
        const held = (a?.health?.partitions ?? []).map((p) => p.partition).sort((x, y) => x - y);
        return a?.online === true && held.join(",") === partitionsOf(plan, id).join(",");
      }) && Object.values(plan.owners).every((owner) => live.includes(owner))
    );
  }

  /**
   * Makes sure the plan gives agent `id` some work before a fault aimed at it: if it holds nothing (the planner
   * keeps a load where it is while that is carried well), an operator move gives it one partition.
   */
  async giveWork(id: string): Promise<void> {
    const plan = (await this.api.plan()).plan;
    if (!plan) throw new Error("no plan yet");
    if (partitionsOf(plan, id).length > 0) return;
    const partition = Number(Object.keys(plan.owners).sort()[0]);
    const moved = await this.api.request("POST", `/api/partitions/${partition}/move`, { agent: id });
    if (moved.status !== 200) throw new Error(`move of partition ${partition} to ${id}: ${moved.status} ${JSON.stringify(moved.json)}`);
    await this.until(
      `${id} holding partition ${partition}`,
      async () => (await this.restored()) && this.agentHolds(id, (await this.api.plan()).plan),
      60_000,
    );
  }

  private agentHolds(id: string, plan: Awaited<ReturnType<CoordinatorApi["plan"]>>["plan"]): boolean {
    return plan !== null && partitionsOf(plan, id).length > 0;
  }

  /** The plan gives every agent some partitions. */
  async everyAgentHasWork(): Promise<boolean> {
    const plan = (await this.api.plan()).plan;
    return plan !== null && [...this.agents.keys()].every((id) => partitionsOf(plan, id).length > 0);
  }

  /** Every partition has a detection (read by this process) of a frame produced at or after `since`. */
  everyPartitionProcessedSince(since: number): boolean {
    return this.processedAt(since) !== null;
  }

  /** When (this process's clock) the last partition got a detection of a frame produced at or after `since`. */
  processedAt(since: number): number | null {
    const firstSeq = new Map<number, number>();
    for (const f of this.flow.produced) if (f.at >= since && !firstSeq.has(f.partition)) firstSeq.set(f.partition, f.seq);
    if (firstSeq.size < this.options.partitions) return null;
    let last = 0;
    for (let p = 0; p < this.options.partitions; p++) {
      const seq = firstSeq.get(p) as number;
      let first = Number.POSITIVE_INFINITY;
      for (const d of this.ledger.seen) if (d.camera === `cam-${p}` && d.seq >= seq && d.receivedAt < first) first = d.receivedAt;
      if (first === Number.POSITIVE_INFINITY) return null;
      last = Math.max(last, first);
    }
    return last;
  }

  /**
   * Runs one fault: `inject` does it and resolves at its end (the heal); then waits until every partition is
   * processed again and the fleet is restored, and counts the frames produced since the start.
   */
  async measure(fault: string, inject: () => Promise<{ note?: string } | undefined>, timeoutMs = 120_000): Promise<FaultMeasure> {
    const firstIndex = this.flow.produced.length;
    const injected = await inject();
    const endedAt = Date.now();
    let processed: number | null = null;
    await this.until(
      `${fault}: every partition processed again`,
      () => {
        processed = this.processedAt(endedAt);
        return processed !== null;
      },
      timeoutMs,
    );
    await this.until(`${fault}: the fleet restored`, () => this.restored(), timeoutMs);
    const restoredAt = Date.now();
    const plan = (await this.api.plan()).plan;
    const holdings = [...this.agents.keys()].map((id) => `${id} ${plan ? partitionsOf(plan, id).length : 0}`).join(", ");
    // Frames of the window: those produced until the fleet was restored; each must get its detection.
    const frames = this.flow.produced.slice(firstIndex).filter((f) => f.at <= restoredAt);
    await this.until(`${fault}: the window's frames detected`, () => frames.every((f) => this.ledger.timesDetected(f) > 0), 60_000).catch(
      () => undefined,
    );
    return {
      fault,
      produced: frames.length,
      lost: frames.filter((f) => this.ledger.timesDetected(f) === 0).length,
      duplicated: frames.filter((f) => this.ledger.timesDetected(f) > 1).length,
      processedMs: (processed ?? endedAt) - endedAt,
      restoredMs: restoredAt - endedAt,
      note: [injected?.note, `partitions after: ${holdings}`].filter(Boolean).join("; "),
    };
  }

  /** Stops the frames and counts every frame of the run: produced, without a detection, detected twice. */
  async finish(timeoutMs = 90_000): Promise<{ produced: number; lost: number; duplicated: number }> {
    await this.flow.stop();
    const produced = this.flow.produced;
    await this.until("every frame of the run detected", () => produced.every((f) => this.ledger.timesDetected(f) > 0), timeoutMs).catch(
      () => undefined,
    );
    return {
      produced: produced.length,
      lost: produced.filter((f) => this.ledger.timesDetected(f) === 0).length,
      duplicated: produced.filter((f) => this.ledger.timesDetected(f) > 1).length,
    };
  }

  until(what: string, predicate: () => boolean | Promise<boolean>, timeoutMs: number): Promise<void> {
    return waitForAsync(what, predicate, timeoutMs).catch((error) => {
      throw new Error(`${(error as Error).message}\n${this.dump()}`);
    });
  }

  dump(last = 40): string {
    return this.processes
      .filter((p, i, all) => all.lastIndexOf(p) === i)
      .map((p) => p.dump(last))
      .join("\n");
  }

  async stop(): Promise<void> {
    await this.flow?.stop().catch(() => undefined);
    for (const run of this.agents.values()) {
      run.kafkaProxy.heal();
      run.mqttProxy.heal();
    }
    try {
      process.kill(-this.brokerPid(), "SIGCONT");
    } catch {
      // not stopped, or gone
    }
    await Promise.all(this.processes.map((p) => p.stop(5000)));
    await this.ledger?.stop();
    for (const run of this.agents.values()) {
      await run.kafkaProxy.close();
      await run.mqttProxy.close();
    }
    await this.broker.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function writeFileSyncJson(file: string, value: unknown): void {
  writeFileSync(file, JSON.stringify(value, null, 2));
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
