import { logLevel } from "kafkajs";
import { describeError, FacefleetError, UsageError } from "../../core/errors.js";
import { assertBrokersReachable } from "../../kafka/broker-reachable.js";
import { createKafka } from "../../kafka/client.js";
import { describeOutcome, ensureTopics, topicSpecs } from "../../kafka/topics-ensure.js";
import { kafkaConfigHelp, kafkaConfigOptions, loadKafkaConfig } from "../kafka-config-options.js";
import type { Command } from "../main.js";
import { parseNumberOption, parseOptions } from "../parse-options.js";

const help = `usage: facefleet topics ensure [--config FILE] [--brokers H:P,...] [--frames-partitions N] [--cameras N]
                              [--replication-factor N] [--json]

Creates the facefleet topics that are missing: frames (retention 1 h, partitions from config,
default 8, at least one per camera), detections / events / dlq (retention 7 days), annotated
(retention 10 min), gallery and plan (compacted). Running it again changes nothing, except that a
topic with fewer partitions than asked gets more. Prints one line per topic.

${kafkaConfigHelp}
  --frames-partitions N    partitions of facefleet.frames (config topics.framesPartitions, default 8)
  --cameras N              cameras in the fleet: frames get at least N partitions
  --replication-factor N   for new topics (config topics.replicationFactor, default 1)
  --json                   one JSON object per topic`;

export const topicsCommand: Command = {
  summary: "create the Kafka topics (partitions, retention, compaction) if missing",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      ...kafkaConfigOptions,
      "frames-partitions": { type: "string" },
      cameras: { type: "string" },
      "replication-factor": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    if (positionals[0] !== "ensure" || positionals.length !== 1) throw new UsageError("expected 'ensure' (see facefleet topics --help)");
    const config = loadKafkaConfig(values, "facefleet-topics");
    const overrides = {
      framesPartitions: parseNumberOption("frames-partitions", values["frames-partitions"], 1, 10_000),
      cameras: parseNumberOption("cameras", values.cameras, 0, 10_000),
      replicationFactor: parseNumberOption("replication-factor", values["replication-factor"], 1, 16),
    };
    for (const [k, v] of Object.entries(overrides))
      if (v !== undefined && !Number.isInteger(v)) throw new UsageError(`--${k} must be an integer`);
    const topicsConfig = { ...config.topics };
    for (const [k, v] of Object.entries(overrides)) if (v !== undefined) (topicsConfig as Record<string, number>)[k] = v;
    const specs = topicSpecs(topicsConfig);

    await assertBrokersReachable(config.connection);
    const admin = createKafka(config.connection, logLevel.NOTHING).admin({ retry: { retries: 3 } });
    try {
      await admin.connect();
      const outcomes = await ensureTopics(admin, specs);
      for (const o of outcomes) process.stdout.write(`${values.json ? JSON.stringify(o) : describeOutcome(o)}\n`);
    } catch (error) {
      throw new FacefleetError(`topics ensure against ${config.connection.brokers.join(",")} failed: ${describeError(error)}`);
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
    return 0;
  },
};
