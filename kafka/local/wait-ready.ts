import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import kafkajs, { type KafkaConfig } from "kafkajs";
import { FacefleetError } from "../../core/errors.js";
import { lastMeaningfulLine } from "./java.js";
import { isBrokerAlive } from "./process-file.js";

const { Kafka, logLevel } = kafkajs;

/** TLS and SASL of a secure broker's user (kafka/local/secure.ts); none for a plaintext one. */
export type ProbeAuth = Pick<KafkaConfig, "ssl" | "sasl">;

/** One metadata round trip (kafkajs admin describeCluster); true if the broker answered. */
export async function brokerAnswers(bootstrap: string, timeoutMs = 2000, auth: ProbeAuth = {}): Promise<boolean> {
  const kafka = new Kafka({
    ...auth,
    clientId: "facefleet-kafka-probe",
    brokers: [bootstrap],
    connectionTimeout: Math.min(timeoutMs, 1000),
    requestTimeout: timeoutMs,
    retry: { retries: 0 },
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Waits until the broker answers a metadata request. Fails early if the process dies, and on
 * timeout; both errors name the log file and quote its last error line.
 */
export async function waitUntilReady(
  pid: number,
  bootstrap: string,
  logFile: string,
  timeoutMs: number,
  auth: ProbeAuth = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isBrokerAlive(pid)) {
      throw new FacefleetError(`Kafka exited during startup (${why(logFile)}); see ${logFile}`);
    }
    if (await brokerAnswers(bootstrap, 2000, auth)) return;
    await sleep(500);
  }
  throw new FacefleetError(
    `Kafka did not answer on ${bootstrap} within ${Math.round(timeoutMs / 1000)}s (${why(logFile)}); see ${logFile}`,
  );
}

function why(logFile: string): string {
  try {
    return lastMeaningfulLine(readFileSync(logFile, "utf8")) ?? "the log is empty";
  } catch {
    return "no log written";
  }
}
