import { readFileSync } from "node:fs";
import { Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { FacefleetError } from "../core/errors.js";
import { type KafkaConnectionInput, kafkaConnectionSchema } from "./connection-config.js";
import { withKafkaCredentials } from "./credentials.js";

/** A PEM file of `kafka.ssl`, read now; an error names the field and the file. */
function readPem(file: string, field: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new FacefleetError(`kafka.ssl.${field}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

/**
 * How kafkajs retries a request, and how soon a consumer that gave up starts again: waits doubling from 250 ms to at
 * most 2 s, 8 retries (about 12 s in all). kafkajs's defaults (300 ms doubling, 5 retries, up to 30 s) give up
 * after about 9 s of a broker restart and then restart a consumer only after its last, longest wait.
 */
export const KAFKA_RETRY = { initialRetryTime: 250, maxRetryTime: 2000, retries: 8 } as const;

/**
 * A kafkajs client from a validated connection config: its credentials file applied (kafka/credentials.ts),
 * TLS files read here, secrets never logged.
 */
export function createKafka(input: KafkaConnectionInput, level: logLevel = logLevel.WARN): Kafka {
  const c = withKafkaCredentials(kafkaConnectionSchema.parse(input));
  const config: KafkaConfig = {
    clientId: c.clientId,
    brokers: c.brokers,
    connectionTimeout: c.connectionTimeoutMs,
    requestTimeout: c.requestTimeoutMs,
    retry: KAFKA_RETRY,
    logLevel: level,
  };
  if (c.ssl === true) config.ssl = true;
  else if (c.ssl) {
    config.ssl = {
      rejectUnauthorized: c.ssl.rejectUnauthorized,
      ca: c.ssl.ca ? [readPem(c.ssl.ca, "ca")] : undefined,
      cert: c.ssl.cert ? readPem(c.ssl.cert, "cert") : undefined,
      key: c.ssl.key ? readPem(c.ssl.key, "key") : undefined,
    };
  }
  if (c.sasl) config.sasl = { mechanism: c.sasl.mechanism, username: c.sasl.username, password: c.sasl.password } as KafkaConfig["sasl"];
  return new Kafka(config);
}
