import { readFileSync } from "node:fs";
import { Kafka, type KafkaConfig, logLevel } from "kafkajs";
import { type KafkaConnectionInput, kafkaConnectionSchema } from "./connection-config.js";

/** A kafkajs client from a validated connection config (TLS files read here, secrets never logged). */
export function createKafka(input: KafkaConnectionInput, level: logLevel = logLevel.WARN): Kafka {
  const c = kafkaConnectionSchema.parse(input);
  const config: KafkaConfig = {
    clientId: c.clientId,
    brokers: c.brokers,
    connectionTimeout: c.connectionTimeoutMs,
    requestTimeout: c.requestTimeoutMs,
    logLevel: level,
  };
  if (c.ssl === true) config.ssl = true;
  else if (c.ssl) {
    config.ssl = {
      rejectUnauthorized: c.ssl.rejectUnauthorized,
      ca: c.ssl.ca ? [readFileSync(c.ssl.ca, "utf8")] : undefined,
      cert: c.ssl.cert ? readFileSync(c.ssl.cert, "utf8") : undefined,
      key: c.ssl.key ? readFileSync(c.ssl.key, "utf8") : undefined,
    };
  }
  if (c.sasl) config.sasl = { mechanism: c.sasl.mechanism, username: c.sasl.username, password: c.sasl.password } as KafkaConfig["sasl"];
  return new Kafka(config);
}
