/**
 * A Kafka credentials file: the TLS and SASL half of a `kafka` connection, kept out of the config file.
 * `facefleet kafka up --secure` writes one for its client user (<data dir>/credentials.json, mode 0600):
 *
 *   { "ssl": { "ca": "/abs/.facefleet/kafka/tls/ca.pem" },
 *     "sasl": { "mechanism": "scram-sha-512", "username": "facefleet", "password": "…" } }
 *
 * A connection points at it with `kafka.credentials: FILE` (agent, coordinator, the CLI's --config) or
 * `--kafka-credentials FILE`. What the file gives fills the connection's `ssl` when that is left at its
 * default (false) and its `sasl` when that is absent: fields written in the config win. A relative `ca`,
 * `cert` or `key` in the file is taken relative to the file's folder. The file is read when the kafkajs
 * client is made (kafka/client.ts) and when a config is loaded (so a bad file fails at start, naming the field).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { describeConfigIssue } from "../core/config-loader.js";
import { FacefleetError } from "../core/errors.js";
import { type KafkaConnection, kafkaSaslSchema, kafkaSslSchema } from "./connection-config.js";

export const kafkaCredentialsFileSchema = z.strictObject({
  ssl: kafkaSslSchema.optional(),
  sasl: kafkaSaslSchema.optional(),
});

export type KafkaCredentialsFile = z.output<typeof kafkaCredentialsFileSchema>;

/** Reads and validates a credentials file; an error is one line naming the file and the field, never a value. */
export function readKafkaCredentials(file: string, field = "kafka.credentials"): KafkaCredentialsFile {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    throw new FacefleetError(`${field}: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FacefleetError(`${field}: ${file} is not JSON`);
  }
  const parsed = kafkaCredentialsFileSchema.safeParse(json);
  if (!parsed.success) throw new FacefleetError(describeConfigIssue(parsed.error, { origin: `${field} ${file}` }));
  const dir = path.dirname(path.resolve(file));
  const ssl = parsed.data.ssl;
  if (ssl !== undefined && typeof ssl === "object") {
    for (const key of ["ca", "cert", "key"] as const) {
      const value = ssl[key];
      if (value !== undefined) ssl[key] = path.resolve(dir, value);
    }
  }
  return parsed.data;
}

/**
 * The connection with its credentials file applied (ssl when the connection's is the default `false`,
 * sasl when absent); without `credentials` the connection as it is.
 */
export function withKafkaCredentials(connection: KafkaConnection): KafkaConnection {
  if (connection.credentials === undefined) return connection;
  const file = readKafkaCredentials(connection.credentials);
  return {
    ...connection,
    ssl: connection.ssl === false && file.ssl !== undefined ? file.ssl : connection.ssl,
    ...(connection.sasl === undefined && file.sasl !== undefined ? { sasl: file.sasl } : {}),
  };
}
