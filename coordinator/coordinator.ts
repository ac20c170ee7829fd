/**
 * `facefleet coordinator`: composes the coordinator's features (coordinator/features/, one file each) over its
 * bus. The MQTT broker (embedded, or an external one by URL), the registry of agents (MQTT status + health),
 * per-partition load (Kafka offsets), the planner loop that publishes the plan (compacted facefleet.plan, then
 * retained `facefleet/plan`), recognition events, corrections and alerts, faces over time (find a face, clusters of unknown faces), people, the live view and the cameras re-streamed to RTMP/RTSP (config `restream`), metrics for
 * Prometheus (GET /metrics), and the REST + WebSocket API with the dashboard. The coordinator is not in the data
 * path: when it is down, agents keep the last plan.
 */
import { existsSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Kafka, Producer } from "kafkajs";
import { AtRestFiles } from "../core/at-rest-files.js";
import { resolveAtRestKey } from "../core/at-rest-key.js";
import { createKafka } from "../kafka/client.js";
import { publishPlan } from "../kafka/plan-topic.js";
import { topics } from "../protocol/topics.js";
import { CoordinatorBus } from "./bus.js";
import type { CoordinatorConfig } from "./config.js";
import type { CoordinatorControl } from "./control.js";
import type { Feature, FeatureContext } from "./feature.js";
import { ApiFeature } from "./features/api.js";
import { AuditFeature } from "./features/audit.js";
import { CorrectionsFeature } from "./features/corrections.js";
import { FacesFeature } from "./features/faces.js";
import { FleetLivenessFeature } from "./features/fleet-liveness.js";
import { GalleryFeature } from "./features/gallery.js";
import { HomeAssistantFeature } from "./features/home-assistant.js";
import { LiveViewFeature } from "./features/live-view.js";
import { LoadSamplingFeature } from "./features/load-sampling.js";
import { MetricsFeature } from "./features/metrics.js";
import { MqttBrokerFeature } from "./features/mqtt-broker.js";
import { MqttLinkFeature } from "./features/mqtt-link.js";
import { PeopleFeature } from "./features/people.js";
import { PlanningFeature } from "./features/planning.js";
import { PrivacyFeature } from "./features/privacy.js";
import { RecognitionEventsFeature } from "./features/recognition-events.js";
import { RestreamFeature } from "./features/restream.js";
import { FleetState } from "./fleet-state.js";
import { assertTopics } from "./kafka-topics-check.js";
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
  const candidate = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..", "dashboard", "dist");
  return existsSync(join(candidate, "index.html")) ? candidate : undefined;
}

export async function startCoordinator(config: CoordinatorConfig, options: StartCoordinatorOptions = {}): Promise<RunningCoordinator> {
  const log = options.log ?? ((line: string) => process.stderr.write(`coordinator: ${line}\n`));
  // Before anything starts: a key file that is missing, open to others or malformed is one line and no coordinator.
  const atRest = new AtRestFiles(await resolveAtRestKey(config.encryptAtRest));
  if (atRest.key) log(`encryptAtRest: faces and crops are encrypted on disk with key ${atRest.key.id}`);
  const context: FeatureContext = { config, bus: new CoordinatorBus(log), log, atRest };
  const stops: (() => Promise<unknown>)[] = [];
  const undo = async () => {
    for (const stop of stops.reverse()) await stop().catch(() => undefined);
  };
  const start = async (feature: Feature) => {
    await feature.start(context);
    stops.push(() => feature.stop());
  };
  try {
    await mkdir(config.stateDir, { recursive: true });
    const token = await resolveApiToken(config.http.token, config.stateDir, log);
    const broker = new MqttBrokerFeature();
    await start(broker);

    // Kafka: the topics must exist; plans are published to it first (what the agents' assignment follows).
    const kafka = options.kafka ?? createKafka(config.kafka);
    await assertTopics(kafka, [config.framesTopic, topics.plan, topics.events, topics.annotated, topics.gallery]);
    const producer: Producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: false });
    await producer.connect();
    stops.push(() => producer.disconnect());

    const link = new MqttLinkFeature(broker);
    const stateFile = new CoordinatorStateFile(config.stateDir);
    const fleet = new FleetState({
      config,
      kafka,
      stateFile,
      publishPlan: async (plan) => {
        await publishPlan(producer, plan);
        await link.publishPlan(plan).catch((error: Error) => log(`mqtt: cannot publish plan v${plan.version}: ${error.message}`));
      },
      log,
    });
    const planning = new PlanningFeature(fleet, kafka, stateFile);
    const gallery = new GalleryFeature(kafka); // one reader and one writer, for corrections and people
    const corrections = new CorrectionsFeature(gallery);
    const liveView = new LiveViewFeature(kafka, link);
    const people = new PeopleFeature(gallery);
    const faces = new FacesFeature(gallery);
    const privacy = new PrivacyFeature({ gallery, people, faces, corrections });
    const audit = new AuditFeature();
    const metrics = new MetricsFeature(fleet); // GET /metrics, counting from the plan it finds
    const staticDir = config.http.staticDir ?? defaultStaticDir();
    const routed = [liveView, people, corrections, faces, privacy, audit, metrics];
    const api = new ApiFeature({
      fleet,
      planning,
      link,
      viewer: () => liveView.viewer(),
      token,
      ...(staticDir ? { staticDir } : {}),
      routesOf: () => routed.flatMap((f) => f.routes()),
      audit: () => audit.log,
    });
    // In this order: the liveness feature listens before the link brings the agents' retained status in.
    for (const feature of [
      audit,
      planning,
      metrics,
      new LoadSamplingFeature(fleet),
      new FleetLivenessFeature(fleet),
      link,
      new HomeAssistantFeature(link),
      gallery,
      corrections,
      faces,
      new RecognitionEventsFeature(kafka),
      liveView,
      new RestreamFeature(liveView), // after the live view: it watches through it and reads its frames
      people,
      privacy,
      api,
    ])
      await start(feature);
    context.bus.emit("started", {});

    let stopping: Promise<void> | undefined;
    const { url, username, password } = broker.target;
    return {
      apiUrl: api.url,
      token,
      mqtt: { url, username, password },
      control: api.control,
      settled: planning.settled,
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
