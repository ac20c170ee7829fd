/**
 * `--config FILE` and `--brokers H:P,...` for commands that talk to Kafka. The config file is JSON;
 * its `kafka` section is the connection (kafka/connection-config.ts: brokers, clientId, ssl, sasl)
 * and its `topics` section the topic layout (kafka/topics-ensure.ts). Other sections are ignored
 * here, so one file can serve the agent, the coordinator and these commands. --brokers wins over
 * the file.
 */
import { readFileSync } from "node:fs";
import { z } from "zod";
import { UsageError } from "../core/errors.js";
import { formatZodIssue } from "../core/format-issue.js";
import { type KafkaConnection, kafkaConnectionSchema } from "../kafka/connection-config.js";
import { type TopicsConfigInput, topicsConfigSchema } from "../kafka/topics-ensure.js";

export const kafkaConfigOptions = {
  config: { type: "string" },
  brokers: { type: "string" },
} as const;

export const kafkaConfigHelp = `  --config FILE       JSON config: {"kafka": {"brokers": [...], "clientId", "ssl", "sasl"}, "topics": {...}}
  --brokers H:P,...   bootstrap brokers (default 127.0.0.1:9092, or the config's)`;

const fileSchema = z.looseObject({
  kafka: z.unknown().optional(),
  topics: z.unknown().optional(),
});

export type LoadedConfig = { connection: KafkaConnection; topics: TopicsConfigInput };

export function loadKafkaConfig(
  values: { config?: string | undefined; brokers?: string | undefined },
  clientId = "facefleet",
): LoadedConfig {
  let file: z.output<typeof fileSchema> = {};
  if (values.config !== undefined) {
    let text: string;
    try {
      text = readFileSync(values.config, "utf8");
    } catch {
      throw new UsageError(`config file ${values.config} not found`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new UsageError(`config file ${values.config} is not JSON: ${(error as Error).message}`);
    }
    const parsed = fileSchema.safeParse(json);
    if (!parsed.success) throw new UsageError(`config file ${values.config}: ${formatZodIssue(parsed.error)}`);
    file = parsed.data;
  }
  const kafka = { clientId, ...((file.kafka as object | undefined) ?? {}) } as Record<string, unknown>;
  if (values.brokers !== undefined) {
    kafka.brokers = values.brokers
      .split(",")
      .map((b) => b.trim())
      .filter((b) => b !== "");
  }
  const connection = kafkaConnectionSchema.safeParse(kafka);
  if (!connection.success)
    throw new UsageError(`${values.brokers !== undefined ? "--brokers / " : ""}kafka config: ${formatZodIssue(connection.error)}`);
  const topics = topicsConfigSchema.safeParse(file.topics ?? {});
  if (!topics.success) throw new UsageError(`config file ${values.config} topics: ${formatZodIssue(topics.error)}`);
  return { connection: connection.data, topics: (file.topics ?? {}) as TopicsConfigInput };
}
