import { readFileSync } from "node:fs";
import { parseCameraList } from "../agent/capture/camera-shorthand.js";
import { type AgentConfigInput, parseAgentConfig } from "../agent/config.js";
import { type CoordinatorConfigInput, parseCoordinatorConfig } from "../coordinator/config.js";
import { writeFileAtomicSync } from "../core/atomic-write.js";
import { ConfigSyntaxError, parseConfigText } from "../core/config-file.js";
import type { FieldSource } from "../core/config-loader.js";
import { describeError, FacefleetError } from "../core/errors.js";
import { isScriptEntry } from "../core/run-as-script.js";
import { parseBrokerList } from "../kafka/connection-config.js";

/**
 * Agent and coordinator configs built from environment variables: what a balena fleet (or any
 * container platform) sets per fleet or per device in place of a config file. The result is validated
 * with the real schemas (agent/config.ts, coordinator/config.ts), so a wrong variable is one line that
 * names it before anything starts (core/config-loader.ts names the variable a bad field came from).
 *
 *   node dist/deploy/env-config.js agent --out /data/facefleet/agent.json
 *   node dist/deploy/env-config.js coordinator --out /data/facefleet/coordinator.json
 *
 * Agent variables (all optional; balena sets BALENA_DEVICE_UUID itself):
 *   FACEFLEET_AGENT_CONFIG   a whole agent config as JSON: the base the variables below are laid over
 *   FACEFLEET_AGENT_ID       default: BALENA_DEVICE_UUID, else the base's agentId
 *   FACEFLEET_KAFKA_BROKERS  host:port,host:port
 *   FACEFLEET_KAFKA_SSL      true | false
 *   FACEFLEET_KAFKA_SASL_MECHANISM / _USERNAME / _PASSWORD   plain | scram-sha-256 | scram-sha-512
 *   FACEFLEET_MQTT_URL, FACEFLEET_MQTT_USERNAME, FACEFLEET_MQTT_PASSWORD, FACEFLEET_HEALTH_INTERVAL_MS
 *   FACEFLEET_CAMERAS        `none`, a JSON array of roles.capture entries, or `ID=SOURCE;ID=SOURCE` where a bare
 *                            SOURCE gets the id `<agentId>-<basename of SOURCE>` (e.g. /dev/video0 -> <id>-video0):
 *                            the camera shorthand of agent/capture/camera-shorthand.ts
 *   FACEFLEET_CAMERA_FPS, FACEFLEET_CAMERA_SIZE (WxH)   for every camera of the compact form
 *   FACEFLEET_INFERENCE      true | false (default true)
 *   FACEFLEET_EXECUTION_PROVIDER, FACEFLEET_PRECISION, FACEFLEET_THREADS   recognition settings
 *   FACEFLEET_ASSIGNMENT     consumer-group | plan
 *   FACEFLEET_WATCHLIST      name,name
 *   FACEFLEET_STATE_DIR      capture.stateDir
 *
 * Coordinator variables: FACEFLEET_COORDINATOR_CONFIG (JSON base), FACEFLEET_KAFKA_BROKERS (+ SSL/SASL as
 * above), FACEFLEET_HTTP_PORT (8080), FACEFLEET_MQTT_PORT (1883), FACEFLEET_MQTT_USERNAME/_PASSWORD (the
 * embedded broker's), FACEFLEET_DASHBOARD_PASSWORD, FACEFLEET_API_TOKEN, FACEFLEET_STATE_DIR. The
 * coordinator listens on 0.0.0.0 (a container's port is what the host publishes).
 */

export type Env = Readonly<Record<string, string | undefined>>;

/** A variable that is set and not blank. */
function get(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === "" ? undefined : value;
}

function bool(env: Env, name: string): boolean | undefined {
  const value = get(env, name)?.toLowerCase();
  if (value === undefined) return undefined;
  if (["1", "true", "yes", "on"].includes(value)) return true;
  if (["0", "false", "no", "off"].includes(value)) return false;
  throw new FacefleetError(`${name}: must be true or false, got '${env[name]}'`);
}

function num(env: Env, name: string): number | undefined {
  const value = get(env, name);
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n)) throw new FacefleetError(`${name}: must be a number, got '${value}'`);
  return n;
}

function list(env: Env, name: string): string[] | undefined {
  return get(env, name)
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

function jsonObject(env: Env, name: string): Record<string, unknown> {
  const value = get(env, name);
  if (value === undefined) return {};
  const parsed = json(name, value);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new FacefleetError(`${name}: must be a JSON object`);
  return parsed as Record<string, unknown>;
}

/** A variable's JSON; a syntax error names the variable. */
function json(name: string, value: string): unknown {
  try {
    return parseConfigText(value, "JSON");
  } catch (error) {
    throw new FacefleetError(`${name}: not valid JSON (${error instanceof ConfigSyntaxError ? error.detail : describeError(error)})`);
  }
}

function obj(value: unknown): Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value) ? { ...(value as Record<string, unknown>) } : {};
}

/** The kafka section: base, then FACEFLEET_KAFKA_*. */
function kafkaFromEnv(env: Env, base: unknown): Record<string, unknown> {
  const kafka = obj(base);
  const raw = get(env, "FACEFLEET_KAFKA_BROKERS");
  const brokers = raw === undefined ? undefined : parseBrokerList(raw);
  if (brokers) kafka.brokers = brokers;
  const ssl = bool(env, "FACEFLEET_KAFKA_SSL");
  if (ssl !== undefined) kafka.ssl = ssl;
  const mechanism = get(env, "FACEFLEET_KAFKA_SASL_MECHANISM");
  if (mechanism !== undefined)
    kafka.sasl = {
      mechanism: mechanism.toLowerCase(),
      username: get(env, "FACEFLEET_KAFKA_SASL_USERNAME") ?? "",
      password: get(env, "FACEFLEET_KAFKA_SASL_PASSWORD") ?? "",
    };
  return kafka;
}

/** Which variable a config path comes from, so a schema error names what the operator set. */
const agentFieldVariables: FieldSource[] = [
  ["agentId", "FACEFLEET_AGENT_ID"],
  ["kafka.brokers", "FACEFLEET_KAFKA_BROKERS"],
  ["kafka.sasl", "FACEFLEET_KAFKA_SASL_*"],
  ["mqtt.url", "FACEFLEET_MQTT_URL"],
  ["mqtt.username", "FACEFLEET_MQTT_USERNAME"],
  ["mqtt.password", "FACEFLEET_MQTT_PASSWORD"],
  ["mqtt.healthIntervalMs", "FACEFLEET_HEALTH_INTERVAL_MS"],
  ["roles.capture", "FACEFLEET_CAMERAS"],
  ["roles", "FACEFLEET_INFERENCE / FACEFLEET_CAMERAS"],
  ["recognition.executionProvider", "FACEFLEET_EXECUTION_PROVIDER"],
  ["recognition.precision", "FACEFLEET_PRECISION"],
  ["recognition.threads", "FACEFLEET_THREADS"],
  ["worker.assignment", "FACEFLEET_ASSIGNMENT"],
  ["worker.watchlist", "FACEFLEET_WATCHLIST"],
  ["capture.stateDir", "FACEFLEET_STATE_DIR"],
];

/** FACEFLEET_CAMERAS in its compact form: `ID=SOURCE;SOURCE;…`. */
function parseCameras(env: Env, agentId: string): unknown[] {
  const raw = get(env, "FACEFLEET_CAMERAS");
  if (raw === undefined || raw.toLowerCase() === "none") return [];
  if (raw.startsWith("[")) {
    const parsed = json("FACEFLEET_CAMERAS", raw);
    if (!Array.isArray(parsed)) throw new FacefleetError("FACEFLEET_CAMERAS: must be a JSON array (or ID=SOURCE;SOURCE…, or none)");
    return parsed;
  }
  const fps = num(env, "FACEFLEET_CAMERA_FPS");
  const videoSize = get(env, "FACEFLEET_CAMERA_SIZE");
  return parseCameraList(raw, agentId).map(({ camera, source }) => ({
    camera,
    source,
    ...(fps !== undefined ? { fps } : {}),
    ...(videoSize !== undefined && source.startsWith("/dev/video") ? { videoSize } : {}),
  }));
}

/**
 * The agent config (as it would be written to a file, defaults left to the schema) from the environment,
 * validated with agent/config.ts. Throws a FacefleetError of one line naming the variable.
 */
export function agentConfigFromEnv(env: Env): AgentConfigInput {
  const config = jsonObject(env, "FACEFLEET_AGENT_CONFIG");
  const agentId = get(env, "FACEFLEET_AGENT_ID") ?? get(env, "BALENA_DEVICE_UUID") ?? config.agentId;
  if (agentId === undefined) throw new FacefleetError("FACEFLEET_AGENT_ID: not set (and no BALENA_DEVICE_UUID)");
  config.agentId = agentId;
  if (typeof agentId !== "string") throw new FacefleetError("FACEFLEET_AGENT_CONFIG: agentId must be a string");

  const kafka = kafkaFromEnv(env, config.kafka);
  if (Object.keys(kafka).length > 0) config.kafka = kafka;

  const roles = obj(config.roles);
  if (get(env, "FACEFLEET_CAMERAS") !== undefined) roles.capture = parseCameras(env, agentId);
  const inference = bool(env, "FACEFLEET_INFERENCE");
  if (inference !== undefined) roles.inference = inference;
  if (Object.keys(roles).length > 0) config.roles = roles;

  const mqttUrl = get(env, "FACEFLEET_MQTT_URL");
  if (mqttUrl !== undefined || config.mqtt !== undefined) {
    const mqtt = obj(config.mqtt);
    if (mqttUrl !== undefined) mqtt.url = mqttUrl;
    const username = get(env, "FACEFLEET_MQTT_USERNAME");
    const password = get(env, "FACEFLEET_MQTT_PASSWORD");
    const interval = num(env, "FACEFLEET_HEALTH_INTERVAL_MS");
    if (username !== undefined) mqtt.username = username;
    if (password !== undefined) mqtt.password = password;
    if (interval !== undefined) mqtt.healthIntervalMs = interval;
    config.mqtt = mqtt;
  } else if (get(env, "FACEFLEET_MQTT_USERNAME") || get(env, "FACEFLEET_MQTT_PASSWORD")) {
    throw new FacefleetError("FACEFLEET_MQTT_USERNAME/PASSWORD: set FACEFLEET_MQTT_URL too");
  }

  const recognition = obj(config.recognition);
  const provider = get(env, "FACEFLEET_EXECUTION_PROVIDER");
  const precision = get(env, "FACEFLEET_PRECISION");
  const threads = num(env, "FACEFLEET_THREADS");
  if (provider !== undefined) recognition.executionProvider = provider;
  if (precision !== undefined) recognition.precision = precision;
  if (threads !== undefined) recognition.threads = threads;
  if (Object.keys(recognition).length > 0) config.recognition = recognition;

  const worker = obj(config.worker);
  const assignment = get(env, "FACEFLEET_ASSIGNMENT");
  const watchlist = list(env, "FACEFLEET_WATCHLIST");
  if (assignment !== undefined) worker.assignment = assignment;
  if (watchlist !== undefined) worker.watchlist = watchlist;
  if (Object.keys(worker).length > 0) config.worker = worker;

  const stateDir = get(env, "FACEFLEET_STATE_DIR");
  if (stateDir !== undefined) config.capture = { ...obj(config.capture), stateDir };

  parseAgentConfig(config, { origin: "agent config from environment", sources: agentFieldVariables });
  return config as AgentConfigInput;
}

const coordinatorFieldVariables: FieldSource[] = [
  ["kafka.brokers", "FACEFLEET_KAFKA_BROKERS"],
  ["kafka.sasl", "FACEFLEET_KAFKA_SASL_*"],
  ["http.port", "FACEFLEET_HTTP_PORT"],
  ["http.password", "FACEFLEET_DASHBOARD_PASSWORD"],
  ["http.token", "FACEFLEET_API_TOKEN"],
  ["mqtt.embedded.port", "FACEFLEET_MQTT_PORT"],
  ["mqtt.embedded.password", "FACEFLEET_MQTT_PASSWORD"],
  ["stateDir", "FACEFLEET_STATE_DIR"],
];

/** The coordinator config of a hub container (embedded MQTT broker, API and dashboard on 0.0.0.0). */
export function coordinatorConfigFromEnv(env: Env): CoordinatorConfigInput {
  const config = jsonObject(env, "FACEFLEET_COORDINATOR_CONFIG");
  const kafka = kafkaFromEnv(env, config.kafka);
  if (Object.keys(kafka).length > 0) config.kafka = kafka;

  const http: Record<string, unknown> = { host: "0.0.0.0", ...obj(config.http) };
  const httpPort = num(env, "FACEFLEET_HTTP_PORT");
  const dashboardPassword = get(env, "FACEFLEET_DASHBOARD_PASSWORD");
  const token = get(env, "FACEFLEET_API_TOKEN");
  if (httpPort !== undefined) http.port = httpPort;
  if (dashboardPassword !== undefined) http.password = dashboardPassword;
  if (token !== undefined) http.token = token;
  config.http = http;

  const mqttBase = obj(config.mqtt);
  if (mqttBase.external === undefined) {
    const embedded: Record<string, unknown> = { host: "0.0.0.0", ...obj(mqttBase.embedded) };
    const port = num(env, "FACEFLEET_MQTT_PORT");
    const username = get(env, "FACEFLEET_MQTT_USERNAME");
    const password = get(env, "FACEFLEET_MQTT_PASSWORD");
    if (port !== undefined) embedded.port = port;
    if (username !== undefined) embedded.username = username;
    if (password !== undefined) embedded.password = password;
    config.mqtt = { embedded };
  }
  const stateDir = get(env, "FACEFLEET_STATE_DIR");
  if (stateDir !== undefined) config.stateDir = stateDir;

  parseCoordinatorConfig(config, { origin: "coordinator config from environment", sources: coordinatorFieldVariables });
  return config as CoordinatorConfigInput;
}

/** Writes JSON to FILE atomically (a temporary file, then rename), mode 0600: it may hold passwords. */
export function writeConfigFile(path: string, config: unknown): void {
  writeFileAtomicSync(path, `${JSON.stringify(config, null, 2)}\n`, 0o600);
}

/** `env-config agent|coordinator --out FILE`: exit 0, 1 (bad environment) or 2 (bad command line). */
export function envConfigMain(argv: string[], env: Env = process.env): number {
  const [kind, flag, out] = argv;
  if ((kind !== "agent" && kind !== "coordinator") || flag !== "--out" || out === undefined || argv.length !== 3) {
    process.stderr.write("usage: env-config agent|coordinator --out FILE\n");
    return 2;
  }
  try {
    if (kind === "agent") {
      const config = agentConfigFromEnv(env);
      writeConfigFile(out, config);
      const cameras = (obj(config.roles).capture as unknown[] | undefined)?.length ?? 0;
      const brokers = (obj(config.kafka).brokers as string[] | undefined)?.join(",") ?? "127.0.0.1:9092";
      process.stdout.write(
        `env-config: wrote ${out} (agent ${config.agentId}, ${cameras} camera(s), kafka ${brokers}, mqtt ${config.mqtt ? "on" : "off"})\n`,
      );
    } else {
      const config = coordinatorConfigFromEnv(env);
      writeConfigFile(out, config);
      process.stdout.write(`env-config: wrote ${out} (coordinator)\n`);
    }
    return 0;
  } catch (error) {
    process.stderr.write(`env-config: ${describeError(error)}\n`);
    return 1;
  }
}

// Run as a script: `node dist/deploy/env-config.js agent --out FILE`.
if (isScriptEntry(import.meta.url)) {
  process.exitCode = envConfigMain(process.argv.slice(2));
}

/** Exposed for tests that read a written file back. */
export function readConfigFile(path: string): unknown {
  return JSON.parse(readFileSync(path, "utf8"));
}
