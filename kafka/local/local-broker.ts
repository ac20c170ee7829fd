/**
 * A single-node Apache Kafka (KRaft, broker + controller in one JVM) run from Kafka's own jars,
 * for a laptop, the tests and the demo: `facefleet kafka up | down | status`.
 *
 * up:     jars (Maven, once) -> server.properties -> format storage (once) -> java kafka.Kafka,
 *         detached, log to <data>/broker.log, pid to <data>/broker.pid -> wait until it answers.
 * down:   SIGTERM to its process group, wait, SIGKILL after stopTimeoutMs; pid file removed.
 * status: running or stopped, from the pid file (a stale one is removed).
 * --secure: a SASL_SSL listener with SCRAM users and ACLs (secure.ts); a data dir keeps the mode it was formatted with.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, renameSync } from "node:fs";
import { chmod, writeFile } from "node:fs/promises";
import { setTimeout as sleep } from "node:timers/promises";
import { FacefleetError } from "../../core/errors.js";
import { classpath, javaExecutable, javaMissing } from "./java.js";
import { log4jProperties } from "./log4j-properties.js";
import { type KafkaOptionsInput, type LocalKafka, resolveKafkaOptions } from "./options.js";
import { assertPortFree } from "./port-check.js";
import { isBrokerAlive, type PidRecord, readPidFile, removePidFile, writePidFile } from "./process-file.js";
import { ensureJars } from "./resolve-jars.js";
import {
  assertModeMatches,
  type BrokerSecrets,
  caFile,
  ensureSecureMaterial,
  grantClientAcls,
  kafkajsAuth,
  recordedMode,
  scramFormatArgs,
  writeModeFile,
} from "./secure.js";
import { renderProperties, serverProperties } from "./server-properties.js";
import { formatStorageOnce, isFormatted } from "./storage.js";
import { waitUntilReady } from "./wait-ready.js";

export type { KafkaOptionsInput } from "./options.js";

/** Progress lines (jar download, formatting, stale pid file) go here; default: nowhere. */
export type Progress = (line: string) => void;

/** A secure broker's listener and the client credentials file (kafka/credentials.ts) to point clients at. */
export type SecureInfo = {
  protocol: "SASL_SSL";
  mechanism: "SCRAM-SHA-512";
  credentialsFile: string;
  adminCredentialsFile: string;
  caFile: string;
};

export type UpResult =
  | {
      state: "started";
      pid: number;
      bootstrap: string;
      logFile: string;
      version: string;
      startupMs: number;
      clusterId?: string;
      secure?: SecureInfo;
    }
  | { state: "already-running"; pid: number; bootstrap: string; logFile: string; secure?: SecureInfo };

export type DownResult = { state: "stopped"; pid: number; forced: boolean } | { state: "not-running"; stalePid?: number };

export type StatusResult =
  | { state: "running"; pid: number; bootstrap: string; logFile: string; startedAt: string; version?: string; secure?: SecureInfo }
  | { state: "stopped"; stalePid?: number; bootstrap: string; secure?: SecureInfo };

/** The secure info of a data dir formatted with --secure, else undefined. */
function secureInfo(k: LocalKafka): SecureInfo | undefined {
  if (recordedMode(k, isFormatted(k)) !== "sasl_ssl") return undefined;
  return {
    protocol: "SASL_SSL",
    mechanism: "SCRAM-SHA-512",
    credentialsFile: k.credentialsFile,
    adminCredentialsFile: k.adminCredentialsFile,
    caFile: caFile(k),
  };
}

/** The live broker recorded in the pid file, or undefined; a stale pid file is removed (and reported). */
async function liveBroker(k: LocalKafka, onProgress: Progress): Promise<{ live?: PidRecord; stalePid?: number }> {
  const record = readPidFile(k.pidFile);
  if (record === undefined) {
    await removePidFile(k.pidFile); // unreadable garbage, if any
    return {};
  }
  if (isBrokerAlive(record.pid)) return { live: record };
  await removePidFile(k.pidFile);
  onProgress(`removed stale pid file ${k.pidFile} (process ${record.pid} is gone)`);
  return { stalePid: record.pid };
}

export async function kafkaUp(options: KafkaOptionsInput = {}, onProgress: Progress = () => {}): Promise<UpResult> {
  const k = resolveKafkaOptions(options);
  // Never switch a data dir between plaintext and SASL_SSL (one line saying what to do instead).
  const formatted = isFormatted(k);
  assertModeMatches(k, formatted);
  const secure = secureInfo(k);
  const { live } = await liveBroker(k, onProgress);
  if (live !== undefined) {
    return { state: "already-running", pid: live.pid, bootstrap: live.bootstrap, logFile: live.logFile, ...(secure ? { secure } : {}) };
  }

  await assertPortFree(k.host, k.port, "broker", "--port");
  await assertPortFree(k.secure ? "127.0.0.1" : k.host, k.controllerPort, "controller", "--controller-port");
  const version = await ensureJars(k.jarsDir, onProgress);

  mkdirSync(k.dataDir, { recursive: true });
  const secrets: BrokerSecrets | undefined = k.secure ? await ensureSecureMaterial(k, formatted, onProgress) : undefined;
  // A secure broker's properties hold its keystore and admin passwords: owner only.
  await writeFile(k.serverProperties, renderProperties(serverProperties(k, secrets), "written by facefleet kafka up"), { mode: 0o600 });
  if (secrets !== undefined) await chmod(k.serverProperties, 0o600);
  await writeFile(k.log4jProperties, log4jProperties());
  const clusterId = await formatStorageOnce(k, secrets !== undefined ? scramFormatArgs(secrets) : []);
  if (clusterId !== undefined) {
    await writeModeFile(k);
    onProgress(
      `formatted KRaft storage in ${k.logDirs} (cluster id ${clusterId}${secrets ? `, SCRAM users ${secrets.admin.username} and ${secrets.client.username}` : ""})`,
    );
  }

  const started = Date.now();
  const pid = await startDetached(k);
  await writePidFile(k.pidFile, {
    pid,
    bootstrap: k.bootstrap,
    logFile: k.logFile,
    startedAt: new Date(started).toISOString(),
    version,
  });
  try {
    await waitUntilReady(pid, k.bootstrap, k.logFile, k.startTimeoutMs, secrets ? kafkajsAuth(k, secrets.admin) : {});
    if (secrets !== undefined) await grantClientAcls(k, secrets);
  } catch (error) {
    await stopProcessGroup(pid, 5000); // never leave a half-started broker behind
    await removePidFile(k.pidFile);
    throw error;
  }
  return {
    state: "started",
    pid,
    bootstrap: k.bootstrap,
    logFile: k.logFile,
    version,
    startupMs: Date.now() - started,
    ...(clusterId !== undefined ? { clusterId } : {}),
    ...(secrets !== undefined ? { secure: secureInfo(k) as SecureInfo } : {}),
  };
}

/**
 * java -cp 'jars/*' kafka.Kafka server.properties, in its own process group, output to the log
 * file (the previous run's log is kept as broker.log.1, so errors quoted from the log are this run's).
 */
async function startDetached(k: LocalKafka): Promise<number> {
  const java = javaExecutable();
  if (existsSync(k.logFile)) renameSync(k.logFile, `${k.logFile}.1`);
  const log = openSync(k.logFile, "w");
  try {
    const child = spawn(
      java,
      [
        `-Xms${k.heap}`,
        `-Xmx${k.heap}`,
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        `-Dlog4j.configuration=file:${k.log4jProperties}`,
        `-Dkafka.logs.dir=${k.dataDir}`,
        "-cp",
        classpath(k.jarsDir),
        "kafka.Kafka",
        k.serverProperties,
      ],
      { cwd: k.dataDir, detached: true, stdio: ["ignore", log, log] },
    );
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", () => resolve());
      child.once("error", (error: NodeJS.ErrnoException) => reject(error.code === "ENOENT" ? javaMissing(java) : error));
    });
    child.unref();
    if (child.pid === undefined) throw new FacefleetError("java started without a pid");
    return child.pid;
  } finally {
    closeSync(log);
  }
}

/** SIGTERM to the process group, wait up to timeoutMs, then SIGKILL. Returns true if it had to kill. */
async function stopProcessGroup(pid: number, timeoutMs: number): Promise<boolean> {
  signalGroup(pid, "SIGTERM");
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isBrokerAlive(pid)) return false;
    await sleep(200);
  }
  signalGroup(pid, "SIGKILL");
  for (let i = 0; i < 50 && isBrokerAlive(pid); i++) await sleep(100);
  if (isBrokerAlive(pid)) throw new FacefleetError(`Kafka (pid ${pid}) survived SIGKILL`);
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal); // its own group (detached): java and anything it forked
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

export async function kafkaDown(options: KafkaOptionsInput = {}, onProgress: Progress = () => {}): Promise<DownResult> {
  const k = resolveKafkaOptions(options);
  const { live, stalePid } = await liveBroker(k, onProgress);
  if (live === undefined) return { state: "not-running", ...(stalePid !== undefined ? { stalePid } : {}) };
  const forced = await stopProcessGroup(live.pid, k.stopTimeoutMs);
  await removePidFile(k.pidFile);
  return { state: "stopped", pid: live.pid, forced };
}

export async function kafkaStatus(options: KafkaOptionsInput = {}, onProgress: Progress = () => {}): Promise<StatusResult> {
  const k = resolveKafkaOptions(options);
  const { live, stalePid } = await liveBroker(k, onProgress);
  const secure = secureInfo(k);
  if (live === undefined) {
    return { state: "stopped", bootstrap: k.bootstrap, ...(stalePid !== undefined ? { stalePid } : {}), ...(secure ? { secure } : {}) };
  }
  return {
    state: "running",
    pid: live.pid,
    bootstrap: live.bootstrap,
    logFile: live.logFile,
    startedAt: live.startedAt,
    ...(live.version !== undefined ? { version: live.version } : {}),
    ...(secure ? { secure } : {}),
  };
}
