import { randomUUID } from "node:crypto";
import { type IHeaders, type KafkaMessage, logLevel } from "kafkajs";
import { FacefleetError, UsageError } from "../../core/errors.js";
import { formatZodIssue } from "../../core/format-issue.js";
import { assertBrokersReachable } from "../../kafka/broker-reachable.js";
import { createKafka } from "../../kafka/client.js";
import { deleteReaderGroup } from "../../kafka/delete-reader-group.js";
import { detectionSchema } from "../../protocol/detection.js";
import { recognitionEventSchema } from "../../protocol/event.js";
import { topics } from "../../protocol/topics.js";
import { kafkaConnectionFromOptions } from "../kafka-config-options.js";
import type { Command } from "../main.js";
import { parseNumberOption, parseOptions } from "../parse-options.js";

const help = `usage: facefleet tail detections|events|dlq [--camera ID] [--from-beginning] [--count N]

Prints the records of facefleet.detections or facefleet.events as JSON lines (one per record, as
published), or of facefleet.dlq as one JSON line of headers per record. Records that fail their
schema are reported on stderr and skipped. Nothing is committed: every tail reads on its own.

  --camera ID          only this camera
  --from-beginning     start at the oldest record (default: only new ones)
  --count N            exit after N records
  --brokers LIST       host:port,... (default 127.0.0.1:9092)
  --config FILE        take the Kafka connection from a config file's kafka section (agent or coordinator)
  --kafka-credentials FILE
                       TLS CA and SASL user of a secure broker (kafka up --secure's credentials.json)
  -h, --help           this text`;

const sources = {
  detections: { topic: topics.detections, schema: detectionSchema },
  events: { topic: topics.events, schema: recognitionEventSchema },
  dlq: { topic: topics.dlq, schema: null },
} as const;

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) out[name] = first.toString();
  }
  return out;
}

/** The line to print for a record, or an error naming what is wrong with it. */
function render(kind: keyof typeof sources, message: KafkaMessage): { line: string; camera: string } | { error: string } {
  if (kind === "dlq") {
    const headers = headerText(message.headers);
    return {
      line: JSON.stringify({ ...headers, key: message.key?.toString() ?? null, size: message.value?.length ?? 0 }),
      camera: message.key?.toString() ?? headers["frame.camera"] ?? "",
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(message.value?.toString() ?? "");
  } catch {
    return { error: "not JSON" };
  }
  const parsed = sources[kind].schema.safeParse(json);
  if (!parsed.success) return { error: formatZodIssue(parsed.error) };
  return { line: JSON.stringify(parsed.data), camera: parsed.data.camera };
}

export const tailCommand: Command = {
  summary: "print detections, events or DLQ records as JSON lines",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      camera: { type: "string" },
      "from-beginning": { type: "boolean" },
      count: { type: "string" },
      brokers: { type: "string" },
      config: { type: "string" },
      "kafka-credentials": { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    if (positionals.length !== 1 || !((positionals[0] as string) in sources)) {
      throw new UsageError("expected detections, events or dlq (see facefleet tail --help)");
    }
    const kind = positionals[0] as keyof typeof sources;
    const { topic } = sources[kind];
    const count = parseNumberOption("count", values.count, 1, Number.MAX_SAFE_INTEGER);
    const connection = await kafkaConnectionFromOptions(values);
    await assertBrokersReachable(connection);
    const kafka = createKafka(connection, logLevel.NOTHING);

    const admin = kafka.admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(topic))
        throw new FacefleetError(`topic ${topic} does not exist: run facefleet topics ensure`);
    } finally {
      await admin.disconnect();
    }

    const groupId = `facefleet-tail-${randomUUID().slice(0, 8)}`;
    let done = false;
    const consumer = kafka.consumer({
      groupId,
      sessionTimeout: 10_000,
      heartbeatInterval: 1000,
      maxWaitTimeInMs: 250,
      retry: { restartOnFailure: async () => !done },
    });
    let printed = 0;
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => {
      finish = () => {
        done = true;
        resolve();
      };
    });
    const onSignal = () => finish();
    const onPipeError = () => finish(); // `tail … | head`: the reader went away
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
    process.stdout.on("error", onPipeError);
    try {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic], fromBeginning: values["from-beginning"] === true });
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          if (count !== undefined && printed >= count) return;
          if (values.camera !== undefined && message.key?.toString() !== values.camera) return;
          const out = render(kind, message);
          if ("error" in out) {
            process.stderr.write(`skipped ${topic}/${partition}@${message.offset}: ${out.error}\n`);
            return;
          }
          if (values.camera !== undefined && out.camera !== values.camera) return;
          process.stdout.write(`${out.line}\n`);
          printed++;
          if (count !== undefined && printed >= count) finish();
        },
      });
      await finished;
    } finally {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      process.stdout.off("error", onPipeError);
      await consumer.disconnect().catch(() => undefined);
      await deleteReaderGroup(kafka, groupId);
    }
    return 0;
  },
};
