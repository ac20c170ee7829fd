import { z } from "zod";
import { encryptAtRestSchema } from "../core/at-rest-key.js";
import { type ConfigOverride, type FieldSource, loadConfig, type ParseConfigOptions, parseConfig } from "../core/config-loader.js";
import { kafkaConnectionSchema } from "../kafka/connection-config.js";
import { withKafkaCredentials } from "../kafka/credentials.js";
import { streamTargetPattern } from "../media/stream-target.js";
import { frameHeadersSchema } from "../protocol/frame-headers.js";
import { topics } from "../protocol/topics.js";
import { recognitionSettingsSchema } from "../recognition/recognition-settings.js";
import { embeddedBrokerConfigSchema } from "./mqtt/broker-config.js";

/**
 * `facefleet coordinator --config FILE` (JSON, or YAML when it ends in .yaml / .yml), read through
 * core/config-loader.ts; its JSON Schema is config/schema/coordinator.schema.json. Every field has a default, so `{}` runs a coordinator
 * with its embedded MQTT broker on 127.0.0.1:1883, the API on 127.0.0.1:8080 and Kafka on
 * 127.0.0.1:9092. Example:
 *
 *   { "kafka": { "brokers": ["10.0.0.2:9092"] },
 *     "mqtt": { "embedded": { "host": "0.0.0.0", "port": 1883 } },
 *     "http": { "host": "0.0.0.0", "port": 8080, "password": "…" },
 *     "stateDir": "/var/lib/facefleet/coordinator" }
 */
const externalBrokerSchema = z.strictObject({
  /** mqtt://host:1883 or mqtts://host:8883 (e.g. Mosquitto). */
  url: z.string().regex(/^(mqtts?|wss?):\/\/[^\s]+$/, "must be mqtt://host:port, mqtts://…, ws:// or wss://"),
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  caFile: z.string().min(1).optional(),
});

/** The embedded broker's fields (coordinator/mqtt/broker-config.ts); its stateDir defaults to the coordinator's. */
const embeddedBrokerSchema = embeddedBrokerConfigSchema.extend({
  /** Where the generated credentials and the retained messages live; default: the coordinator's stateDir. */
  stateDir: z.string().min(1).optional(),
});

/** One camera the coordinator re-streams (coordinator/features/restream.ts). */
const restreamSchema = z.strictObject({
  camera: frameHeadersSchema.shape.camera.describe("The camera whose annotated frames are re-streamed."),
  to: z
    .string()
    .regex(streamTargetPattern, "must be an rtmp:// or rtsp:// URL with a host and a path (rtmp://host/live/stream-<camera>)")
    .describe("rtmp://host/app/key (an RTMP server, e.g. nginx-rtmp) or rtsp://host/path (an RTSP server that accepts a publisher)."),
  fps: z.number().min(0.5).max(60).default(5).describe("Frames per second of the stream (the newest frame is repeated between frames)."),
});

export const coordinatorConfigSchema = z.strictObject({
  /** The JSON Schema an editor checks the file with (config/schema/coordinator.schema.json); ignored. */
  $schema: z.string().optional(),
  kafka: kafkaConnectionSchema.prefault({ clientId: "facefleet-coordinator" }).describe("How the coordinator reaches Kafka."),
  /**
   * `{ "embedded": {…} }` (default; fields of coordinator/mqtt/broker-config.ts, validated with the rest of
   * the file, its stateDir defaults to the coordinator's) or `{ "external": { "url": … } }`.
   */
  mqtt: z
    .union([z.strictObject({ embedded: embeddedBrokerSchema.prefault({}) }), z.strictObject({ external: externalBrokerSchema })])
    .prefault({ embedded: {} })
    .describe('The MQTT broker the agents report to: {"embedded": {host, port, username, password, tls}} or {"external": {url, …}}.'),
  http: z
    .strictObject({
      host: z.string().min(1).default("127.0.0.1"),
      /** 0 picks a free port (tests). */
      port: z.number().int().min(0).max(65_535).default(8080),
      /**
       * API bearer token, an operator's; absent: generated on first run, stored in `<stateDir>/api-token` (mode 600),
       * printed once. Named tokens with a role and an expiry: `facefleet api-tokens` (`<stateDir>/api-tokens.json`).
       */
      token: z.string().min(16, "must be at least 16 characters").optional(),
      /** Dashboard login password (the token also logs in). */
      password: z.string().min(8, "must be at least 8 characters").optional(),
      /**
       * Secure on the session cookie: `auto` (default) when the login came over TLS (a proxy's x-forwarded-proto:
       * https, or a TLS socket); true always (a proxy that does not say); false never.
       */
      secureCookies: z.union([z.boolean(), z.literal("auto")]).default("auto"),
      /** Built dashboard to serve at /; default: dashboard/dist of the package when it exists. */
      staticDir: z.string().min(1).optional(),
    })
    .prefault({})
    .describe("The REST/WebSocket API and the dashboard: host, port, token, password."),
  /** Generated credentials, the API token, the planner's state and the MQTT retained messages. */
  stateDir: z
    .string()
    .min(1)
    .default(".facefleet/coordinator")
    .describe("Generated credentials, the API token, the planner's state and the MQTT retained messages."),
  /**
   * Biometric data at rest: with `{ "keyFile": FILE }` (a key from `facefleet keys create FILE`, mode 600) or
   * `{ "keyEnv": NAME }` (the key's line in an environment variable), the kept faces (`<stateDir>/faces/`: embedding
   * and crop) and the unknown-person crops (`<stateDir>/unknown/`) are encrypted with AES-256-GCM. Absent: as they are.
   */
  encryptAtRest: encryptAtRestSchema
    .optional()
    .describe(
      "Encrypt the kept faces and unknown-person crops on disk (AES-256-GCM): {keyFile} (from facefleet keys create, mode 600) or {keyEnv} (an environment variable).",
    ),
  /** The topic whose partitions are planned, and the consumer group whose lag is measured. */
  framesTopic: z.string().min(1).default(topics.frames),
  workerGroupId: z.string().min(1).default("facefleet-inference"),
  liveness: z
    .strictObject({
      /** An agent with no health report for this long is lost (its last will usually comes sooner). */
      missedHealthMs: z.number().int().min(500).default(15_000),
      /** After a (re)start, wait at most this long for the last plan's owners to report before planning. */
      startupGraceMs: z.number().int().min(0).default(12_000),
    })
    .prefault({}),
  planner: z
    .strictObject({
      imbalanceThreshold: z.number().min(0).default(0.25),
      cooldownMs: z.number().int().min(0).default(60_000),
      unmeasuredCapacityFps: z.number().positive().default(1),
      lagCatchUpSeconds: z.number().positive().optional(),
      /** Replan for load this often (fleet changes replan at once). */
      intervalMs: z.number().int().min(200).default(10_000),
      /** A fleet change replans after this quiet time, so a burst of joins makes one plan. */
      debounceMs: z.number().int().min(0).default(250),
      /**
       * A load replan waits while some live agent does not hold what the plan gives it (a rebalance or a broker
       * restart still under way), at most this long (0: never waits). Fleet changes and operator actions never wait.
       */
      settleMs: z.number().int().min(0).default(30_000),
    })
    .prefault({}),
  /** Per-partition load (end offsets, the worker group's commits) sampled this often. */
  loadSampleMs: z.number().int().min(200).default(2000),
  /** How long drain/undrain wait for the agent's acknowledgement. */
  commandTimeoutMs: z.number().int().min(100).default(5000),
  /**
   * The models the coordinator embeds photos uploaded in the dashboard with (loaded on the first photo;
   * `recognizer` unset: the gallery's family). `threads: 2` keeps an enrollment from taking every core.
   */
  recognition: z.strictObject(recognitionSettingsSchema.shape).prefault({ threads: 2 }),
  /**
   * Corrections from events (coordinator/corrections): how many recent events keep their face (crop and embedding,
   * in memory) for a correction and GET /api/events, and for how long after their time (purged this often).
   */
  corrections: z
    .strictObject({
      recentEvents: z.number().int().min(1).max(100_000).default(500),
      retentionHours: z.number().positive().default(168),
      purgeIntervalMs: z.number().int().min(1000).default(600_000),
    })
    .prefault({}),
  /** Unknown-person alerts (a toggle per camera): crops kept this long, then purged. */
  unknownAlerts: z
    .strictObject({
      retentionHours: z.number().positive().default(72),
      purgeIntervalMs: z.number().int().min(1000).default(600_000),
    })
    .prefault({}),
  /**
   * Faces over time (coordinator/faces/): the faces of past events (embedding and crop) kept this long and at most
   * this many, in `<stateDir>/faces/`, for "find a face" and the clusters of unknown faces. The distances that
   * count as the same person come from the recognizer's false-match calibration at these per-comparison rates.
   */
  faces: z
    .strictObject({
      retentionHours: z.number().positive().default(168),
      maxFaces: z.number().int().min(1).max(1_000_000).default(20_000),
      purgeIntervalMs: z.number().int().min(1000).default(600_000),
      searchFalseMatchRate: z.number().gt(0).max(0.5).default(1e-3),
      clusterFalseMatchRate: z.number().gt(0).max(0.5).default(1e-4),
      clusterMaxFaces: z.number().int().min(2).max(10_000).default(2000),
      enrollFaces: z.number().int().min(1).max(32).default(5),
    })
    .prefault({}),
  /**
   * The live view (coordinator/features/live-view.ts): the cameras dashboard viewers watch are published retained
   * on `facefleet/live-view` with this lease, refreshed every third of it; agents stop annotating a camera at the
   * latest one lease after the last refresh (a coordinator that died).
   */
  liveView: z.strictObject({ leaseMs: z.number().int().min(1000).max(600_000).default(15_000) }).prefault({}),
  /**
   * Cameras re-streamed by the coordinator itself (coordinator/features/restream.ts): each camera is watched as a
   * live viewer would (so the agents annotate it) and its annotated frames are published as H.264 through ffmpeg,
   * as `facefleet restream` does. Each `to` at most once.
   */
  restream: z
    .array(restreamSchema)
    .default([])
    .superRefine((entries, context) => {
      const seen = new Set<string>();
      entries.forEach((entry, index) => {
        if (seen.has(entry.to)) context.addIssue({ code: "custom", path: [index, "to"], message: "published to twice" });
        seen.add(entry.to);
      });
    })
    .describe("Cameras whose annotated frames the coordinator publishes as RTMP/RTSP: [{camera, to, fps}]."),
  /** Home Assistant MQTT discovery: a "last person seen" sensor per camera. */
  homeAssistant: z
    .strictObject({ enabled: z.boolean().default(false), discoveryPrefix: z.string().min(1).default("homeassistant") })
    .prefault({}),
});

export type CoordinatorConfig = z.output<typeof coordinatorConfigSchema>;
export type CoordinatorConfigInput = z.input<typeof coordinatorConfigSchema>;

/** Validates a coordinator config; the error is one line naming the field. */
export function parseCoordinatorConfig(json: unknown, options: string | ParseConfigOptions = "config"): CoordinatorConfig {
  const config = parseConfig(coordinatorConfigSchema, json ?? {}, typeof options === "string" ? { origin: options } : options);
  // kafka.credentials (a file of ssl + sasl, kafka/credentials.ts) is read now: a bad one fails at start, naming the field.
  config.kafka = withKafkaCredentials(config.kafka);
  return config;
}

/** `facefleet coordinator --config FILE` (YAML or JSON), with overrides on top. */
export async function loadCoordinatorConfig(
  path: string,
  overrides: readonly ConfigOverride[] = [],
  sources: readonly FieldSource[] = [],
): Promise<CoordinatorConfig> {
  return loadConfig({ file: path, label: "coordinator config", overrides, sources, parse: parseCoordinatorConfig });
}
