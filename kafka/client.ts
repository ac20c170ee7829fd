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
 * How kafkajs waits between retries of a request, and so how soon a consumer that gave up starts again: doubling
 * from 250 ms to at most 2 s (kafkajs: from 300 ms, up to 30 s), so a consumer is back soon after a broker restart.
 * The number of retries stays kafkajs's own (5): setting it here would reach the idempotent producers too, which
 * kafkajs warns about on every start.
 */
export const KAFKA_RETRY = { initialRetryTime: 250, maxRetryTime: 2000 } as const;

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
