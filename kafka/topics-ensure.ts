/**
 * The topics of docs/design.md, created when missing, with their partition counts, retention and
 * compaction: `facefleet topics ensure`. Idempotent: an existing topic is left as it is, except
 * that a topic with fewer partitions than asked gets more (Kafka cannot take partitions away; note
 * that adding partitions moves keys to other partitions from then on). Config values of an existing
 * topic that differ from the wanted ones are reported, not changed (an operator may have tuned them).
 */
import kafkajs, { type Admin } from "kafkajs";
import { z } from "zod";
import { topics } from "../protocol/topics.js";
import { createTopicsAndWait } from "./create-topics.js";

const { ConfigResourceTypes } = kafkajs;

const day = 24 * 60 * 60 * 1000;

/** The `topics` section of a facefleet config file. */
export const topicsConfigSchema = z.strictObject({
  /** facefleet.frames: one camera = one key = one partition, so at least one per camera. */
  framesPartitions: z.number().int().min(1).max(10_000).default(8),
  /** Cameras the fleet has (or will have soon); frames get max(framesPartitions, cameras). */
  cameras: z.number().int().min(0).max(10_000).default(0),
  /** detections/annotated/events: keyed by camera too; default = the frames count. */
  resultPartitions: z.number().int().min(1).max(10_000).optional(),
  replicationFactor: z.number().int().min(1).max(16).default(1),
  framesRetentionMs: z
    .number()
    .int()
    .min(60_000)
    .default(60 * 60 * 1000),
  annotatedRetentionMs: z
    .number()
    .int()
    .min(60_000)
    .default(10 * 60 * 1000),
  resultsRetentionDays: z.number().min(0.01).max(3650).default(7),
  /** Larger than a 4K JPEG; also the broker's default (1 MiB) would refuse some frames. */
  maxMessageBytes: z
    .number()
    .int()
    .min(1024)
    .default(8 * 1024 * 1024),
});

export type TopicsConfig = z.output<typeof topicsConfigSchema>;
export type TopicsConfigInput = z.input<typeof topicsConfigSchema>;

export type TopicSpec = { topic: string; numPartitions: number; replicationFactor: number; configs: Record<string, string> };

export function topicSpecs(input: TopicsConfigInput = {}): TopicSpec[] {
  const c = topicsConfigSchema.parse(input);
  const frames = Math.max(c.framesPartitions, c.cameras);
  const results = c.resultPartitions ?? frames;
  const rf = c.replicationFactor;
  const resultsRetention = String(Math.round(c.resultsRetentionDays * day));
  const big = String(c.maxMessageBytes);
  return [
    {
      topic: topics.frames,
      numPartitions: frames,
      replicationFactor: rf,
      configs: { "retention.ms": String(c.framesRetentionMs), "max.message.bytes": big },
    },
    { topic: topics.detections, numPartitions: results, replicationFactor: rf, configs: { "retention.ms": resultsRetention } },
    {
      topic: topics.annotated,
      numPartitions: results,
      replicationFactor: rf,
      configs: { "retention.ms": String(c.annotatedRetentionMs), "max.message.bytes": big },
    },
    { topic: topics.events, numPartitions: results, replicationFactor: rf, configs: { "retention.ms": resultsRetention } },
    // A DLQ record may carry the frame that failed.
    { topic: topics.dlq, numPartitions: 1, replicationFactor: rf, configs: { "retention.ms": resultsRetention, "max.message.bytes": big } },
    // Latest record per key forever: one per identity / the current plan.
    {
      topic: topics.gallery,
      numPartitions: 1,
      replicationFactor: rf,
      configs: { "cleanup.policy": "compact", "min.compaction.lag.ms": "0", "max.message.bytes": big },
    },
    { topic: topics.plan, numPartitions: 1, replicationFactor: rf, configs: { "cleanup.policy": "compact", "min.compaction.lag.ms": "0" } },
  ];
}

export type EnsureOutcome =
  | { topic: string; action: "created"; partitions: number; replicationFactor: number; configs: Record<string, string> }
  | { topic: string; action: "exists"; partitions: number; differs: string[] }
  | { topic: string; action: "partitions-increased"; from: number; partitions: number; differs: string[] };

export async function ensureTopics(admin: Admin, specs: TopicSpec[]): Promise<EnsureOutcome[]> {
  const existing = new Set(await admin.listTopics());
  const missing = specs.filter((s) => !existing.has(s.topic));
  if (missing.length > 0) {
    await createTopicsAndWait(
      admin,
      missing.map((s) => ({
        topic: s.topic,
        numPartitions: s.numPartitions,
        replicationFactor: s.replicationFactor,
        configEntries: Object.entries(s.configs).map(([name, value]) => ({ name, value })),
      })),
    );
  }
  const present = specs.filter((s) => existing.has(s.topic));
  const partitionCounts = new Map<string, number>();
  const differs = new Map<string, string[]>();
  if (present.length > 0) {
    const meta = await admin.fetchTopicMetadata({ topics: present.map((s) => s.topic) });
    for (const t of meta.topics) partitionCounts.set(t.name, t.partitions.length);
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((s) => ({ type: ConfigResourceTypes.TOPIC, name: s.topic, configNames: Object.keys(s.configs) })),
    });
    for (const resource of described.resources) {
      const spec = present.find((s) => s.topic === resource.resourceName);
      if (!spec) continue;
      const list: string[] = [];
      for (const entry of resource.configEntries) {
        const want = spec.configs[entry.configName];
        if (want !== undefined && entry.configValue !== want) list.push(`${entry.configName}=${entry.configValue} (wanted ${want})`);
      }
      differs.set(spec.topic, list);
    }
  }
  const grow = present.filter((s) => (partitionCounts.get(s.topic) ?? 0) < s.numPartitions);
  if (grow.length > 0) {
    await admin.createPartitions({ topicPartitions: grow.map((s) => ({ topic: s.topic, count: s.numPartitions })) });
  }
  return specs.map((s): EnsureOutcome => {
    if (!existing.has(s.topic)) {
      return { topic: s.topic, action: "created", partitions: s.numPartitions, replicationFactor: s.replicationFactor, configs: s.configs };
    }
    const had = partitionCounts.get(s.topic) ?? 0;
    const diff = differs.get(s.topic) ?? [];
    if (had < s.numPartitions)
      return { topic: s.topic, action: "partitions-increased", from: had, partitions: s.numPartitions, differs: diff };
    return { topic: s.topic, action: "exists", partitions: had, differs: diff };
  });
}

/** One line per topic, for the CLI. */
export function describeOutcome(o: EnsureOutcome): string {
  const plural = (n: number) => `${n} partition${n === 1 ? "" : "s"}`;
  const note = (d: string[]) => (d.length > 0 ? `; differs from config: ${d.join(", ")} (left as is)` : "");
  switch (o.action) {
    case "created": {
      const configs = Object.entries(o.configs)
        .map(([k, v]) => `${k}=${v}`)
        .join(" ");
      return `created ${o.topic} (${plural(o.partitions)}, replication ${o.replicationFactor}, ${configs})`;
    }
    case "exists":
      return `exists  ${o.topic} (${plural(o.partitions)})${note(o.differs)}`;
    case "partitions-increased":
      return `grown   ${o.topic} from ${o.from} to ${plural(o.partitions)} (new keys may map to other partitions)${note(o.differs)}`;
  }
}
