import { z } from "zod";
import { type ConfigOverride, type FieldSource, loadConfig, type ParseConfigOptions, parseConfig } from "../core/config-loader.js";
import { kafkaConnectionSchema } from "../kafka/connection-config.js";
import { withKafkaCredentials } from "../kafka/credentials.js";
import { frameHeadersSchema } from "../protocol/frame-headers.js";
import { topics } from "../protocol/topics.js";
import { DEFAULT_FALSE_ACCEPT_RATE, falseAcceptRateSchema } from "../recognition/gallery-threshold.js";
import { recognitionSettingsSchema } from "../recognition/recognition-settings.js";
import { agentMqttSettingsSchema } from "./health/mqtt-settings.js";
import { agentMetricsSettingsSchema } from "./metrics/metrics-settings.js";
import { annotationSettingsFields } from "./worker/annotation-settings.js";
import { attributeSettingsSchema } from "./worker/attribute-settings.js";
import { privacySettingsSchema } from "./worker/privacy-settings.js";
import { recogniseOnceSettingsSchema } from "./worker/recognise-once.js";

/**
 * The agent's config file (JSON, or YAML when it ends in .yaml / .yml), `facefleet agent --config FILE`,
 * read through core/config-loader.ts; its JSON Schema is config/schema/agent.schema.json. Example:
 *
 * {
 *   "agentId": "jetson-01",
 *   "kafka": { "brokers": ["10.0.0.5:9092"] },
 *   "roles": { "capture": [{ "camera": "door", "source": "/dev/video0", "fps": 10 }], "inference": true },
 *   "recognition": { "threads": 2, "minFaceSize": 32 },
 *   "worker": { "annotated": "on-demand", "maxFrameAgeMs": 5000 },
 *   "mqtt": { "url": "mqtt://10.0.0.5:1883", "username": "facefleet", "password": "…", "healthIntervalMs": 5000 },
 *   "metrics": { "enabled": true, "host": "127.0.0.1", "port": 9464 }
 * }
 *
 * Every field but agentId has a default. Durations are in milliseconds, sizes in bytes.
 * `recognition` is recognition/recognition-settings.ts; its `minFaceSize` is the naming limit: smaller
 * faces are detected and tracked but never matched, and never vote on a track's name.
 */

/** One camera this agent captures (the capture role; frames go to facefleet.frames keyed by camera). */
export const captureSourceSchema = z.strictObject({
  /** The camera id: record key and `camera` header (protocol/frame-headers.ts). */
  camera: frameHeadersSchema.shape.camera,
  /** A video file, a directory of images, /dev/videoN or rtsp://… */
  source: z.string().min(1),
  fps: z.number().min(0.1).max(120).default(10),
  /** Start a video file or picture directory over at its end. */
  loop: z.boolean().default(false),
  /** V4L2 capture size, `WxH` (default: the camera's). */
  videoSize: z
    .string()
    .regex(/^\d{2,5}x\d{2,5}$/, "must be WxH, e.g. 640x480")
    .optional(),
  /** V4L2 back end: node-v4l2camera when built, else ffmpeg (`auto`). */
  v4l2: z.enum(["auto", "native", "ffmpeg"]).default("auto"),
});

/** How the capture role runs its cameras (all optional). */
export const captureSettingsSchema = z.strictObject({
  /** Where each camera's sequence state lives (`<camera>.seq.json`, agent/capture/sequence-store.ts). */
  stateDir: z.string().min(1).default(".facefleet/capture"),
  /** Frames queued while the broker is slow before the oldest is dropped (one producer for all cameras). */
  maxQueue: z.number().int().min(1).max(10_000).default(30),
  /** On stop, queued frames are sent for up to this long; what is left is counted as dropped. */
  flushTimeoutMs: z.number().int().min(0).default(10_000),
  /** A camera whose source fails (ffmpeg exits, device gone) is opened again after this, doubling up to 30 s. */
  restartDelayMs: z.number().int().min(10).default(1000),
});

export const trackSettingsSchema = z.strictObject({
  /** A face joins the track whose last box overlaps it at least this much (intersection over union). */
  iouThreshold: z.number().gt(0).max(1).default(0.3),
  /** A track not seen for this long (capture time, or wall time when the camera goes quiet) has left. */
  lostAfterMs: z.number().int().positive().default(2000),
  /**
   * A face does not join a track whose last face's embedding is farther from its own than this many times
   * the gallery threshold (a scene cut that puts another person where the last one was); 0: boxes only.
   */
  maxStepDistanceRatio: z.number().min(0).max(10).default(1.25),
  /** Frames a track needs before it is named and its person_seen / unknown_person event is sent. */
  minFramesToName: z.number().int().min(1).default(2),
  /**
   * How a track is named: `track` matches the quality-weighted mean embedding of its best faces
   * (agent/worker/track-evidence.ts, face-weight.ts) once the evidence is enough; `frame-vote` matches
   * every frame and names the track by a weighted vote of those matches (track-vote.ts, before 2026-12).
   */
  naming: z.enum(["track", "frame-vote"]).default("track"),
  /** `track` naming: evidence weight (sum of face weights, a big sharp frontal face = 1) needed to name a track. */
  minWeightToName: z.number().positive().max(100).default(0.5),
  /** `track` naming: the heaviest faces kept per track and averaged into its embedding. */
  evidenceFaces: z.number().int().min(1).max(100).default(8),
  /** `track` naming: a named track is matched again when its evidence weight has grown this many times since. */
  redecideGain: z.number().gt(1).max(100).default(1.5),
  /**
   * A person who leaves and comes back within this gap (capture time) on the same camera is one visit:
   * no new person_seen / unknown_person, and person_left only when the visit ends. 0: every track is a visit.
   */
  visitGapMs: z.number().int().min(0).max(3_600_000).default(10_000),
  /**
   * An Unknown continues an earlier Unknown's visit when their aggregate embeddings are within this many
   * times the gallery threshold (stricter than naming: dark and turned strangers' faces lie close together).
   */
  unknownRejoinRatio: z.number().min(0).max(10).default(0.75),
  /** Faces of confidently named tracks are not embedded in every frame (agent/worker/recognise-once.ts). */
  recogniseOnce: recogniseOnceSettingsSchema.prefault({}),
});

export const workerSettingsSchema = z.strictObject({
  /** Consumer group of the inference workers (Kafka's own assignment until the coordinator's plan replaces it). */
  groupId: z.string().min(1).default("facefleet-inference"),
  /**
   * Who decides which partitions of facefleet.frames this agent consumes: Kafka's own group assignment
   * (`consumer-group`), or the coordinator's plan read from facefleet.plan (`plan`,
   * agent/worker/assignment-plan.ts, docs/partition-assignment.md). All agents of a group must agree.
   */
  assignment: z.enum(["consumer-group", "plan"]).default("consumer-group"),
  /** annotated (on-demand | always | never), annotateAlways, annotateMaxFps: agent/worker/annotation-settings.ts. */
  ...annotationSettingsFields,
  /** Unknown faces pixelated in the annotated frames of some or all cameras: agent/worker/privacy-settings.ts. */
  privacy: privacySettingsSchema.prefault({}),
  /** Frames older than this (now − capture time) when their turn comes are skipped and counted; 0 = never skip. */
  maxFrameAgeMs: z.number().int().min(0).default(5000),
  /** Frames larger than this go to the DLQ unprocessed. */
  maxFrameBytes: z
    .number()
    .int()
    .positive()
    .default(8 * 1024 * 1024),
  /**
   * Frames whose width x height headers are larger than this go to the DLQ (stage `size`) undecoded; a
   * picture must be the size its headers name (agent/worker/frame-picture.ts), so this bounds the memory one
   * decoded frame takes (3 bytes a pixel). Default: 7680x4320 (8K UHD, 100 MB decoded).
   */
  maxFramePixels: z
    .number()
    .int()
    .positive()
    .default(7680 * 4320),
  /** Distance (gallery) threshold; wins over falseAcceptRate. Default: the one that fits the gallery's size. */
  threshold: z.number().positive().max(2).optional(),
  /**
   * The chance that a stranger is given some name: the gallery's distance threshold is derived from it and the
   * number of enrolled identities (recognition/gallery-threshold.ts), again whenever the gallery changes.
   */
  falseAcceptRate: falseAcceptRateSchema.default(DEFAULT_FALSE_ACCEPT_RATE),
  track: trackSettingsSchema.prefault({}),
  /** Per-face attributes (emotion, age, gender) per camera, once per track: agent/worker/attribute-settings.ts. Off by default. */
  attributes: attributeSettingsSchema.prefault({}),
  /** A DLQ record's value (the original bytes) is cut to this size so it fits the broker's message.max.bytes. */
  dlqMaxMessageBytes: z.number().int().min(1024).default(900_000),
  /** Consumer-group timings: a crashed agent's partitions move after sessionTimeoutMs. */
  sessionTimeoutMs: z.number().int().min(1000).default(10_000),
  heartbeatIntervalMs: z.number().int().min(100).default(1000),
  /** Fetch long-poll; keep it well below sessionTimeoutMs (heartbeats wait for it). */
  maxWaitMs: z.number().int().min(10).default(500),
  /** Identity names whose tracks also get a `watchlist_hit` event (once per track, besides person_seen). */
  watchlist: z.array(z.string().min(1)).default([]),
  /**
   * Frames in flight: 2 decodes and detects the next frame on a thread of its own (recognition/detect-thread.ts)
   * while this one is aligned, embedded, tracked and sent, and works on two partitions at once (each still in
   * order); 1 runs everything on the main thread, one frame at a time. With recognition.threads 0, each of
   * the two stages then gets half the cores (at least one).
   */
  framesInFlight: z.union([z.literal(1), z.literal(2)]).default(2),
  /** Acknowledged offsets are committed at most this often (and always at the end of a batch and on shutdown). */
  commitIntervalMs: z.number().int().min(0).default(1000),
  /** A one-line stats summary on stderr this often; 0 = never. */
  statsLogIntervalMs: z.number().int().min(0).default(30_000),
});

export const gallerySourceSchema = z.strictObject({
  /** The compacted topic the identities are read from (and hot-reloaded). */
  topic: z.string().min(1).default(topics.gallery),
  /** How long start-up may take to read the gallery topic to its end. */
  loadTimeoutMs: z.number().int().positive().default(60_000),
});

/** The agent's id: MQTT topics, the health report, the Kafka client id (`facefleet-agent-<id>`). */
export const agentIdSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be 1-64 letters, digits, '.', '_' or '-'");

export const agentConfigSchema = z
  .strictObject({
    /** The JSON Schema an editor checks the file with (config/schema/agent.schema.json); ignored by the agent. */
    $schema: z.string().optional(),
    agentId: agentIdSchema.describe("The agent's id: MQTT topics, health reports, the Kafka client id facefleet-agent-<id>."),
    kafka: kafkaConnectionSchema.prefault({}).describe("How the agent reaches Kafka: brokers, clientId, ssl, sasl, credentials."),
    roles: z
      .strictObject({
        capture: z
          .array(captureSourceSchema)
          .default([])
          .superRefine((cameras, ctx) => {
            const seen = new Set<string>();
            cameras.forEach((c, i) => {
              if (seen.has(c.camera))
                ctx.addIssue({ code: "custom", message: `camera '${c.camera}' is listed twice`, path: [i, "camera"] });
              seen.add(c.camera);
            });
          }),
        inference: z.boolean().default(true),
      })
      .prefault({})
      .describe("capture: the cameras this agent sends to facefleet.frames; inference: consume facefleet.frames."),
    capture: captureSettingsSchema.prefault({}).describe("How the capture role runs its cameras: state folder, queue, restarts."),
    recognition: z
      .strictObject(recognitionSettingsSchema.shape)
      .prefault({})
      .describe("The recognition pipeline: models, execution provider, precision, threads, face size limits."),
    gallery: gallerySourceSchema.prefault({}).describe("The compacted topic the enrolled identities are read from."),
    worker: workerSettingsSchema.prefault({}).describe("The inference worker: consumer group, assignment, thresholds, tracking."),
    /** Health reports and coordinator commands over MQTT (agent/health/mqtt-settings.ts); absent: no MQTT. */
    mqtt: agentMqttSettingsSchema.optional().describe("Health reports and coordinator commands over MQTT; absent: no MQTT."),
    /** The agent's own GET /metrics (agent/metrics/metrics-settings.ts); off by default. */
    metrics: agentMetricsSettingsSchema
      .prefault({})
      .describe(
        "The agent's own GET /metrics (Prometheus text format): enabled (default false), host (default 127.0.0.1; no authentication), port (default 9464).",
      ),
  })
  .refine((c) => c.roles.inference || c.roles.capture.length > 0, {
    message: "the agent has no role: set roles.inference or list cameras in roles.capture",
    path: ["roles"],
  })
  .refine((c) => c.worker.maxWaitMs * 2 <= c.worker.sessionTimeoutMs, {
    message: "must be at most half of worker.sessionTimeoutMs (heartbeats wait for the fetch long-poll)",
    path: ["worker", "maxWaitMs"],
  });

export type AgentConfig = z.output<typeof agentConfigSchema>;
export type AgentConfigInput = z.input<typeof agentConfigSchema>;
export type WorkerSettings = AgentConfig["worker"];
export type TrackSettings = AgentConfig["worker"]["track"];
export type CaptureSource = z.output<typeof captureSourceSchema>;
export type CaptureSettings = AgentConfig["capture"];

/**
 * Validates a config object; the error is one line naming the field (`worker.maxFrameAgeMs: …`), and
 * what set it when `options.sources` lists it (core/config-loader.ts).
 */
export function parseAgentConfig(json: unknown, options: string | ParseConfigOptions = "agent config"): AgentConfig {
  const config = parseConfig(agentConfigSchema, json, typeof options === "string" ? { origin: options } : options);
  // A client id that names the agent, unless the file chose one.
  const kafkaInput = (json as { kafka?: { clientId?: unknown } }).kafka;
  if (kafkaInput?.clientId === undefined) config.kafka.clientId = `facefleet-agent-${config.agentId}`;
  // kafka.credentials (a file of ssl + sasl, kafka/credentials.ts) is read now: a bad one fails at start, naming the field.
  config.kafka = withKafkaCredentials(config.kafka);
  return config;
}

/**
 * `facefleet agent --config FILE` (YAML or JSON) with the command line's overrides on top
 * (cli/commands/agent.ts: `--brokers`, `--camera`).
 */
export async function loadAgentConfig(
  path: string,
  overrides: readonly ConfigOverride[] = [],
  sources: readonly FieldSource[] = [],
): Promise<AgentConfig> {
  return loadConfig({ file: path, label: "agent config", overrides, sources, parse: parseAgentConfig });
}
