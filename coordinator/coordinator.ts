/**
 * `facefleet coordinator`: the MQTT broker (embedded, or an external one by URL), the registry of
 * agents (MQTT status + health), per-partition load (Kafka offsets), the planner loop that publishes
 * the plan (compacted facefleet.plan, then retained `facefleet/plan`), recognition events, and the
 * REST + WebSocket API with the dashboard. The coordinator is not in the data path: when it is down,
 * agents keep the last plan.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kafka, Producer } from "kafkajs";
import { FacefleetError } from "../cli/errors.js";
import { createKafka } from "../kafka/client.js";
import { publishPlan, readPlanTopic } from "../kafka/plan-topic.js";
import type { AgentView, PlanView, StreamMessage } from "../protocol/api.js";
import type { RecognitionEvent } from "../protocol/event.js";
import type { AgentHealth } from "../protocol/health.js";
import { mqttTopics } from "../protocol/mqtt-topics.js";
import { type PartitionPlan, partitionsOf } from "../protocol/plan.js";
import { topics } from "../protocol/topics.js";
import { cameraRoutes } from "./api/routes-cameras.js";
import { eventRoutes } from "./api/routes-events.js";
import { peopleRoutes } from "./api/routes-people.js";
import { startApiServer } from "./api/server.js";
import type { CoordinatorConfig } from "./config.js";
import type { CoordinatorControl } from "./control.js";
import { startCorrections, withoutEmbedding } from "./corrections/corrections.js";
import { followEvents } from "./events/event-feed.js";
import { createFleetControl } from "./fleet-control.js";
import { LastPersonSensors } from "./home-assistant/last-person-sensors.js";
import { PartitionLoadMeter } from "./load/partition-load-meter.js";
import { AnnotatedFeed } from "./media/annotated-feed.js";
import { CoordinatorLink } from "./mqtt/coordinator-link.js";
import { startEmbeddedBroker } from "./mqtt/embedded-broker.js";
import { PeopleService } from "./people/people-service.js";
import { type FleetInput, PlanKeeper, type ReplanResult } from "./plan/plan-keeper.js";
import { AgentRegistry } from "./registry/agent-registry.js";
import { resolveApiToken } from "./state/api-token.js";
import { CoordinatorStateFile } from "./state/coordinator-state.js";

export type RunningCoordinator = {
  /** http://host:port of the API and dashboard. */
  apiUrl: string;
  token: string;
  mqtt: { url: string; username?: string; password?: string };
  control: CoordinatorControl;
  /** Resolves once the first plan decision after the start was made (published or kept). */
  settled: Promise<void>;
  stop(): Promise<void>;
};

export type StartCoordinatorOptions = { log?: (line: string) => void; kafka?: Kafka };

/** Where the built dashboard is, when the config does not say. */
function defaultStaticDir(): string | undefined {
  // dist/coordinator/coordinator.js -> <package>/dashboard/dist
  const here = dirname(fileURLToPath(import.meta.url));
  const candidate = resolve(here, "..", "..", "dashboard", "dist");
  return existsSync(join(candidate, "index.html")) ? candidate : undefined;
}

export async function startCoordinator(config: CoordinatorConfig, options: StartCoordinatorOptions = {}): Promise<RunningCoordinator> {
  const log = options.log ?? ((line: string) => process.stderr.write(`coordinator: ${line}\n`));
  const cleanup: (() => Promise<unknown>)[] = [];
  const undo = async () => {
    for (const step of cleanup.reverse()) await step().catch(() => undefined);
  };
  try {
    await mkdir(config.stateDir, { recursive: true });
    const token = await resolveApiToken(config.http.token, config.stateDir, log);

    // MQTT broker: embedded (default) or external.
    let mqttTarget: { url: string; username?: string; password?: string; caFile?: string };
    if ("embedded" in config.mqtt) {
      const broker = await startEmbeddedBroker({
        stateDir: config.stateDir,
        ...(config.mqtt.embedded as object),
        log: (line) => log(`mqtt: ${line}`),
      });
      cleanup.push(() => broker.close());
      mqttTarget = { url: broker.url, username: broker.username, password: broker.password };
    } else {
      mqttTarget = { ...config.mqtt.external };
    }

    // Kafka: the topics must exist; the last plan is read back.
    const kafka = options.kafka ?? createKafka(config.kafka);
    await assertTopics(kafka, [config.framesTopic, topics.plan, topics.events, topics.annotated, topics.gallery]);
    const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    await producer.connect();
    cleanup.push(() => producer.disconnect());
    const lastPlan = await readLastPlan(kafka, config.framesTopic);
    const stateFile = new CoordinatorStateFile(config.stateDir);
    const saved = await stateFile.load();

    const registry = new AgentRegistry(config.liveness.missedHealthMs);
    const stream = new Set<(message: StreamMessage) => void>();
    const emit = (message: StreamMessage) => {
      for (const listener of stream) {
        try {
          listener(message);
        } catch (error) {
          log(`stream listener failed: ${(error as Error).message}`);
        }
      }
    };

    const meter = new PartitionLoadMeter(kafka, config.framesTopic, config.workerGroupId);
    await meter.start();
    cleanup.push(() => meter.stop());
    await meter.sample();

    let link: CoordinatorLink | undefined;
    const keeper = new PlanKeeper({
      topic: config.framesTopic,
      settings: {
        imbalanceThreshold: config.planner.imbalanceThreshold,
        cooldownMs: config.planner.cooldownMs,
        unmeasuredCapacityFps: config.planner.unmeasuredCapacityFps,
        ...(config.planner.lagCatchUpSeconds !== undefined ? { lagCatchUpSeconds: config.planner.lagCatchUpSeconds } : {}),
      },
      publish: async (plan) => {
        // Kafka first: it is what the agents' assignment follows; MQTT is the fast, retained copy.
        await publishPlan(producer, plan);
        await link?.publishPlan(plan).catch((error: Error) => log(`mqtt: cannot publish plan v${plan.version}: ${error.message}`));
      },
      stateFile,
      log,
    });
    keeper.restore(lastPlan, saved);
    if (lastPlan) log(`last plan: v${lastPlan.version} (${Object.keys(lastPlan.owners).length} partitions, ${lastPlan.reason})`);

    // The `total` stage is the processing time of a frame (the queue wait is a stage of its own).
    const costOf = (health: AgentHealth | null | undefined): number | null => health?.latencyMs.total?.p50 ?? null;
    const partitionCount = () => meter.partitionCount || keeper.plan?.partitionCount || 1;
    const planView = (): PlanView => {
      const plan = keeper.plan;
      return {
        plan,
        loads: meter.current().map((s) => {
          const owner = plan?.owners[String(s.partition)];
          return { partition: s.partition, fps: s.fps, lag: s.lag, costMsPerFrame: owner ? costOf(registry.get(owner)?.health) : null };
        }),
      };
    };
    const agentView = (id: string): AgentView | undefined => {
      const record = registry.get(id);
      if (!record) return undefined;
      return {
        id,
        online: registry.isLive(id),
        status: record.status,
        lastSeen: registry.lastSeen(id),
        drained: keeper.isDrained(id),
        partitions: keeper.plan ? partitionsOf(keeper.plan, id) : [],
        health: record.health,
      };
    };
    const fleet = (): FleetInput => {
      const live = registry.liveIds().map((id) => ({ id, health: registry.get(id)?.health }));
      // An agent that has not processed a frame yet has no measured capacity (and would never get the
      // work to measure it): it counts as the fleet's median until it has one.
      const measured = live.map((a) => a.health?.capacityFps ?? 0).filter((c) => c > 0);
      const fallback = median(measured);
      return {
        agents: live.map(({ id, health }) => ({
          id,
          capacityFps: health?.capacityFps || fallback,
          accelerator: (health?.device.accelerator ?? null) !== null,
        })),
        // No cost per frame: the only measure is the owner's processing time, which is as much the agent's
        // speed (already in its capacity) as the partition's content, and would count a slow agent twice.
        loads: meter.current().map((l) => ({ partition: l.partition, fps: l.fps, ...(l.lag !== null ? { lag: l.lag } : {}) })),
        partitionCount: partitionCount(),
        loadKnown: meter.measured,
      };
    };
    const afterPlan = (result: ReplanResult): ReplanResult => {
      if (result.published) {
        emit({ type: "plan", plan: planView() });
        // Owned partitions are part of each agent's view.
        for (const id of registry.liveIds()) {
          const view = agentView(id);
          if (view) emit({ type: "agent", agent: view });
        }
      }
      return result;
    };

    // Planning: at once (debounced) on fleet changes, and every intervalMs for load.
    let planningAllowed = false;
    let replanTimer: NodeJS.Timeout | undefined;
    let stopped = false;
    const replan = async (why: string) => {
      if (stopped || !planningAllowed) return;
      try {
        const input = fleet();
        const result = afterPlan(await keeper.replan(input, why));
        if (!result.published && why !== "load")
          log(
            `plan v${result.plan?.version ?? "-"} kept (${why}): ${input.agents.map((a) => `${a.id} ${a.capacityFps} fps`).join(", ")}; load ${input.loads
              .reduce((sum, l) => sum + l.fps, 0)
              .toFixed(1)} fps${result.warnings.length > 0 ? `; ${result.warnings.join("; ")}` : ""}`,
          );
      } catch (error) {
        log(`cannot publish the plan (${why}): ${(error as Error).message}; retrying`);
        scheduleReplan(why, 2000);
      }
    };
    const scheduleReplan = (why: string, delay = config.planner.debounceMs) => {
      if (replanTimer) clearTimeout(replanTimer);
      replanTimer = setTimeout(() => void replan(why), delay);
    };

    let lastLive = new Set<string>();
    const checkLiveness = () => {
      const live = new Set(registry.liveIds());
      const joined = [...live].filter((id) => !lastLive.has(id));
      const lost = [...lastLive].filter((id) => !live.has(id));
      lastLive = live;
      for (const id of [...joined, ...lost]) {
        log(`agent ${id} ${live.has(id) ? "online" : "lost"}`);
        const view = agentView(id);
        if (view) emit({ type: "agent", agent: view });
      }
      if (joined.length + lost.length > 0)
        scheduleReplan([...joined.map((id) => `${id} joined`), ...lost.map((id) => `${id} lost`)].join(", "));
    };

    link = await CoordinatorLink.connect({
      ...mqttTarget,
      log,
      onStatus: (id, payload) => {
        if (registry.noteStatus(id, payload)) checkLiveness();
      },
      onHealth: (health) => {
        registry.noteHealth(health);
        checkLiveness();
        const view = agentView(health.agentId);
        if (view) emit({ type: "agent", agent: view });
      },
    });
    const connectedLink = link;
    cleanup.push(() => connectedLink.close());

    const sensors = config.homeAssistant.enabled
      ? new LastPersonSensors(
          (topic, payload, retain) => connectedLink.publish(topic, payload, retain),
          config.homeAssistant.discoveryPrefix,
          log,
        )
      : undefined;
    const corrections = await startCorrections({
      kafka,
      connection: config.kafka,
      stateDir: config.stateDir,
      recentEvents: config.corrections.recentEvents,
      retentionHours: config.unknownAlerts.retentionHours,
      purgeIntervalMs: config.unknownAlerts.purgeIntervalMs,
      onAlert: (alert) => emit({ type: "alert", alert }),
      log,
    });
    cleanup.push(() => corrections.stop());
    const events = await followEvents({
      kafka,
      topic: topics.events,
      log,
      onEvent: (event: RecognitionEvent) => {
        corrections.observe(event);
        // The embedding stays in the coordinator (corrections); the crop goes on to the dashboard.
        const shown = withoutEmbedding(event);
        emit({ type: "event", event: shown });
        void connectedLink.publish(mqttTopics.events(event.camera), JSON.stringify(shown)).catch(() => undefined);
        void sensors?.onEvent(event);
      },
    });
    cleanup.push(() => events.stop());
    const media = await AnnotatedFeed.start({ kafka, log, onFrame: (camera, time) => emit({ type: "frame", camera, time }) });
    cleanup.push(() => media.stop());
    const people = await PeopleService.start({ kafka, recognition: config.recognition, log, onChange: emit });
    cleanup.push(() => people.stop());

    const livenessTimer = setInterval(checkLiveness, 500);
    const sampleTimer = setInterval(() => {
      meter
        .sample()
        // The measured load per partition changes between plans: dashboards get it with every sample.
        .then(() => {
          if (stream.size > 0) emit({ type: "plan", plan: planView() });
        })
        .catch((error: Error) => log(`load sample failed: ${error.message}`));
    }, config.loadSampleMs);
    const periodicTimer = setInterval(() => void replan("load"), config.planner.intervalMs);
    cleanup.push(async () => {
      stopped = true;
      clearInterval(livenessTimer);
      clearInterval(sampleTimer);
      clearInterval(periodicTimer);
      if (replanTimer) clearTimeout(replanTimer);
    });

    // After a (re)start: wait for the last plan's owners to report (or the grace time), then plan once.
    // Agents that are all back change nothing: the planner is sticky and publishes only real changes.
    const settled = (async () => {
      const owners = new Set(Object.values(lastPlan?.owners ?? {}));
      const deadline = Date.now() + config.liveness.startupGraceMs;
      while (!stopped && Date.now() < deadline) {
        const live = new Set(registry.liveIds());
        if (lastPlan ? [...owners].every((id) => live.has(id)) : live.size > 0) break;
        await new Promise((r) => setTimeout(r, 200));
      }
      planningAllowed = true;
      await replan(lastPlan ? "coordinator started" : "first plan");
    })();

    const control = createFleetControl({
      registry,
      keeper,
      framesTopic: config.framesTopic,
      partitionCount,
      fleet,
      agentView,
      planView,
      afterPlan,
      emit,
      subscribe: (listener) => {
        stream.add(listener);
        return () => stream.delete(listener);
      },
      command: (agent, command) => connectedLink.command(agent, command, config.commandTimeoutMs),
    });

    const staticDir = config.http.staticDir ?? defaultStaticDir();
    const api = await startApiServer({
      control,
      host: config.http.host,
      port: config.http.port,
      token,
      ...(config.http.password ? { password: config.http.password } : {}),
      ...(staticDir ? { staticDir } : {}),
      extraRoutes: [...cameraRoutes(media), ...peopleRoutes(people), ...eventRoutes(corrections.control)],
      log,
    });
    cleanup.push(() => api.close());
    log(`API${staticDir ? " and dashboard" : ""} on ${api.url}`);

    let stopping: Promise<void> | undefined;
    return {
      apiUrl: api.url,
      token,
      mqtt: { url: mqttTarget.url, username: mqttTarget.username, password: mqttTarget.password },
      control,
      settled,
      stop: () => {
        stopping ??= undo();
        return stopping;
      },
    };
  } catch (error) {
    await undo();
    throw error;
  }
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function assertTopics(kafka: Kafka, needed: string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = needed.filter((t) => !existing.has(t));
    if (missing.length > 0) throw new FacefleetError(`missing topic(s) ${missing.join(", ")}: run facefleet topics ensure`);
  } catch (error) {
    if (error instanceof FacefleetError) throw error;
    throw new FacefleetError(`kafka: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/** The newest plan for `framesTopic` in the compacted plan topic, or null. */
async function readLastPlan(kafka: Kafka, framesTopic: string): Promise<PartitionPlan | null> {
  let newest: PartitionPlan | null = null;
  const reader = await readPlanTopic({
    kafka,
    clientName: "coordinator",
    onPlan: (plan) => {
      if (plan.topic === framesTopic && (!newest || plan.version > newest.version)) newest = plan;
    },
  });
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      reader.caughtUp,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new FacefleetError(`cannot read ${topics.plan} to its end within 30 s`)), 30_000);
      }),
    ]);
  } finally {
    clearTimeout(timer);
    await reader.stop();
  }
  return newest;
}
