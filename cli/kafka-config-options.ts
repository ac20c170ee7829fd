/**
 * `--config FILE`, `--brokers H:P,...` and `--kafka-credentials FILE` for every command that talks to Kafka outside an agent (topics,
 * produce, gallery, enroll --publish, tail): the one place these two options are read. The config file is
 * YAML or JSON (core/config-loader.ts); its `kafka` section is the connection (kafka/connection-config.ts:
 * brokers, clientId, ssl, sasl) and its `topics` section the topic layout (kafka/topics-ensure.ts). Other
 * sections are ignored here, so an agent's or a coordinator's file serves these commands too. --brokers
 * and --kafka-credentials (kafka.credentials: kafka/credentials.ts) win over the file. A bad file or a bad --brokers is a usage error (exit 2) naming the field.
 */
import { z } from "zod";
import { type ConfigOverride, loadConfig, parseConfig } from "../core/config-loader.js";
import { FacefleetError, UsageError } from "../core/errors.js";
import { type KafkaConnection, kafkaConnectionSchema, parseBrokerList } from "../kafka/connection-config.js";
import { withKafkaCredentials } from "../kafka/credentials.js";
import { type TopicsConfigInput, topicsConfigSchema } from "../kafka/topics-ensure.js";

export const kafkaConfigOptions = {
  config: { type: "string" },
  brokers: { type: "string" },
  "kafka-credentials": { type: "string" },
} as const;

export const kafkaConfigHelp = `  --config FILE       a config file (YAML or JSON) whose kafka section is the connection:
                      {"kafka": {"brokers": [...], "clientId", "ssl", "sasl"}, "topics": {...}}
  --brokers H:P,...   bootstrap brokers (default 127.0.0.1:9092, or the config's)
  --kafka-credentials FILE
                      kafka.credentials: TLS CA and SASL user of a secure broker, e.g. the
                      credentials.json that 'facefleet kafka up --secure' writes`;

const kafkaFileSchema = z.looseObject({
  kafka: kafkaConnectionSchema,
  topics: topicsConfigSchema.optional(),
});

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

export type LoadedConfig = { connection: KafkaConnection; topics: TopicsConfigInput };

export function loadKafkaConfig(
  values: { config?: string | undefined; brokers?: string | undefined; "kafka-credentials"?: string | undefined },
  clientId = "facefleet",
): LoadedConfig {
  const overrides: ConfigOverride[] = [];
  if (values.brokers !== undefined) overrides.push({ path: ["kafka", "brokers"], value: parseBrokerList(values.brokers) });
  const credentials = values["kafka-credentials"];
  if (credentials !== undefined) overrides.push({ path: ["kafka", "credentials"], value: credentials });
  try {
    return loadConfig({
      file: values.config,
      label: "config file",
      overrides,
      sources: [
        ["kafka.brokers", "--brokers"],
        ["kafka.credentials", "--kafka-credentials"],
      ],
      parse: (value, options) => {
        const file = (isPlainObject(value) ? value : {}) as { kafka?: unknown; topics?: unknown };
        const kafka = file.kafka === undefined ? { clientId } : isPlainObject(file.kafka) ? { clientId, ...file.kafka } : file.kafka;
        const parsed = parseConfig(
          kafkaFileSchema,
          { ...file, kafka },
          {
            ...options,
            origin: values.config !== undefined ? options.origin : "options",
          },
        );
        // kafka.credentials (kafka/credentials.ts) is read now: a bad file is an error naming the field.
        return { connection: withKafkaCredentials(parsed.kafka), topics: (file.topics ?? {}) as TopicsConfigInput };
      },
    });
  } catch (error) {
    if (error instanceof FacefleetError && !(error instanceof UsageError)) throw new UsageError(error.message);
    throw error;
  }
}

/** The Kafka connection alone (gallery, enroll --publish, tail). */
export async function kafkaConnectionFromOptions(values: {
  brokers?: string | undefined;
  config?: string | undefined;
  "kafka-credentials"?: string | undefined;
}): Promise<KafkaConnection> {
  return loadKafkaConfig(values).connection;
}
