import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { logLevel } from "kafkajs";
import { FacefleetError } from "../core/errors.js";
import { createKafka } from "../kafka/client.js";
import { kafkaDown, kafkaUp } from "../kafka/local/local-broker.js";
import { detectionSchema } from "../protocol/detection.js";
import { recognitionEventSchema } from "../protocol/event.js";
import { topics } from "../protocol/topics.js";
import type { DemoPlan } from "./demo-plan.js";
import { demoPeopleFiles } from "./sample-assets.js";

const bin = fileURLToPath(new URL("../../bin/facefleet.js", import.meta.url));
const say = (line: string) => process.stdout.write(`${line}\n`);

/** Runs a facefleet command to completion; its output goes to our stderr. */
function runStep(args: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "inherit", "inherit"] });
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolvePromise() : reject(new FacefleetError(`facefleet ${args[0]} failed (exit ${code})`))));
  });
}

/** Starts a long-running facefleet command whose stderr lines are prefixed with its name. */
function startService(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, [bin, ...args], { env, stdio: ["ignore", "ignore", "pipe"] });
  let partial = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    const lines = (partial + chunk.toString()).split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) if (line.trim() && !line.includes('"logger":"kafkajs"')) process.stderr.write(`${name}| ${line}\n`);
  });
  return child;
}

function stop(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolvePromise) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.once("close", () => {
      clearTimeout(timer);
      resolvePromise();
    });
    child.kill("SIGTERM");
  });
}

/** Waits until an HTTP URL answers at all (the coordinator's API is up). */
async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch {
      if (Date.now() > deadline)
        throw new FacefleetError(`the coordinator did not answer on ${url} within ${timeoutMs / 1000} s: see its lines above`);
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/**
 * Everything on one machine: a local Kafka, the topics, a gallery of the two people in the sample video,
 * the coordinator (MQTT broker, planner, API, dashboard), the agents following its plan, one looping camera per --cameras, and the recognition events printed as they come.
 * Stops on Ctrl-C (or after --duration) and takes everything down again. Returns the detections seen.
 */
export async function runDemo(plan: DemoPlan): Promise<{ detections: number; events: number; named: Set<string> }> {
  const brokers = `127.0.0.1:${plan.port}`;
  const env = { ...process.env, FACEFLEET_MODELS: plan.modelDirs };
  const kafkaOptions = { dataDir: join(plan.dataDir, "kafka"), port: plan.port, controllerPort: plan.controllerPort };
  const up = await kafkaUp(kafkaOptions, (line) => process.stderr.write(`kafka| ${line}\n`));
  const startedKafka = up.state === "started";
  const services: ChildProcess[] = [];
  const consumer = createKafka({ brokers: [brokers], clientId: "facefleet-demo" }, logLevel.NOTHING).consumer({
    groupId: `facefleet-demo-${Date.now()}`,
    retry: { restartOnFailure: async () => false },
  });
  const seen = { detections: 0, events: 0, named: new Set<string>() };
  let stopRequested: () => void = () => {};
  const stopped = new Promise<void>((resolvePromise) => {
    stopRequested = resolvePromise;
  });
  const onSignal = () => stopRequested();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    await runStep(["topics", "ensure", "--brokers", brokers, "--cameras", String(plan.cameras)], env);
    const people = join(plan.dataDir, "people");
    await mkdir(people, { recursive: true });
    for (const name of demoPeopleFiles) await copyFile(join(plan.people, name), join(people, name));
    const gallery = join(plan.dataDir, "gallery.json");
    await runStep(["enroll", people, "--gallery", gallery], env);
    await runStep(["gallery", "push", "--gallery", gallery, "--brokers", brokers], env);
    // The coordinator (embedded MQTT broker, planner, API and dashboard), then the agents following its plan.
    const mqttPassword = randomBytes(12).toString("base64url");
    const coordinatorConfig = join(plan.dataDir, "coordinator.json");
    await writeFile(
      coordinatorConfig,
      `${JSON.stringify(
        {
          kafka: { brokers: [brokers], clientId: "demo-coordinator" },
          mqtt: { embedded: { host: "127.0.0.1", port: plan.mqttPort, password: mqttPassword } },
          http: { host: "127.0.0.1", port: plan.httpPort, password: plan.password },
          stateDir: join(plan.dataDir, "coordinator"),
          liveness: { missedHealthMs: 6000, startupGraceMs: 6000 },
        },
        null,
        2,
      )}\n`,
    );
    services.push(startService("coordinator", ["coordinator", "--config", coordinatorConfig], env));
    const dashboard = `http://127.0.0.1:${plan.httpPort}`;
    await waitForHttp(`${dashboard}/api/openapi.json`, 30_000);
    for (let i = 1; i <= plan.agents; i++) {
      const agentId = `demo-agent-${i}`;
      const agentConfig = join(plan.dataDir, `${agentId}.json`);
      const config = {
        agentId,
        kafka: { brokers: [brokers], clientId: agentId },
        recognition: { threads: 1 },
        worker: { assignment: "plan", sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
        mqtt: { url: `mqtt://127.0.0.1:${plan.mqttPort}`, username: "facefleet", password: mqttPassword, healthIntervalMs: 2000 },
      };
      await writeFile(agentConfig, `${JSON.stringify(config, null, 2)}\n`);
      services.push(startService(agentId, ["agent", "--config", agentConfig], env));
    }

    await consumer.connect();
    await consumer.subscribe({ topics: [topics.events, topics.detections], fromBeginning: false });
    const latencies: number[] = [];
    await consumer.run({
      eachMessage: async ({ topic, message }) => {
        const json = JSON.parse(message.value?.toString() ?? "null");
        if (topic === topics.detections) {
          const detection = detectionSchema.safeParse(json);
          if (detection.success) {
            seen.detections++;
            latencies.push(detection.data.doneTime - detection.data.captureTime);
          }
          return;
        }
        const event = recognitionEventSchema.safeParse(json);
        if (!event.success) return;
        seen.events++;
        if (event.data.identity !== "Unknown") seen.named.add(event.data.identity);
        const time = new Date(event.data.time).toLocaleTimeString();
        const detail = event.data.distance !== undefined ? ` (distance ${event.data.distance.toFixed(3)})` : "";
        say(`${time}  ${event.data.camera.padEnd(8)} ${event.data.type.padEnd(15)} ${event.data.identity}${detail}`);
      },
    });
    for (let i = 1; i <= plan.cameras; i++) {
      const camera = `camera-${i}`;
      const args = ["produce", "--camera", camera, "--source", plan.video, "--fps", String(plan.fps), "--loop", "--brokers", brokers];
      services.push(startService(camera, [...args, "--state-dir", join(plan.dataDir, "capture")], env));
    }
    say(`facefleet demo: Kafka at ${brokers}, ${plan.agents} agent(s), ${plan.cameras} camera(s) at ${plan.fps} fps looping ${plan.video}`);
    say(`facefleet demo: dashboard ${dashboard} (password: ${plan.password}); MQTT mqtt://127.0.0.1:${plan.mqttPort}`);
    say("  events below; `facefleet tail detections` in another terminal shows every frame; Ctrl-C stops the demo");
    const stats = setInterval(() => {
      const sorted = latencies.splice(0).sort((a, b) => a - b);
      const p50 = sorted[Math.floor(sorted.length / 2)];
      if (sorted.length > 0) say(`-- ${sorted.length} detections in the last 10 s, capture-to-result p50 ${p50} ms`);
    }, 10_000);
    const timer = plan.durationS !== null ? setTimeout(() => stopRequested(), plan.durationS * 1000) : undefined;
    await stopped;
    clearInterval(stats);
    clearTimeout(timer);
  } finally {
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    say("facefleet demo: stopping");
    for (const service of services.reverse()) await stop(service);
    await consumer.disconnect().catch(() => {});
    if (startedKafka) {
      const down = await kafkaDown(kafkaOptions, (line) => process.stderr.write(`kafka| ${line}\n`));
      process.stderr.write(`kafka| broker ${down.state === "stopped" ? `(pid ${down.pid}) stopped` : "was not running"}\n`);
    } else say(`facefleet demo: the Kafka that was already running at ${brokers} is left running`);
  }
  say(`facefleet demo: ${seen.detections} detections, ${seen.events} events, named: ${[...seen.named].sort().join(", ") || "nobody"}`);
  return seen;
}
