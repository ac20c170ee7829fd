import type { IHeaders, Message } from "kafkajs";
import { type DlqHeaders, dlqHeadersSchema } from "../../protocol/dlq-record.js";
import type { DlqStage } from "./stats.js";

/** The record that failed, as it came off facefleet.frames. */
export type FailedRecord = {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers?: IHeaders;
};

/**
 * A facefleet.dlq record: the original bytes as the value (cut to `maxBytes` so an oversized frame
 * still fits the broker's message.max.bytes; `truncated` and `original-size` say so), the reason and
 * origin as headers (protocol/dlq-record.ts), and the frame's own headers under `frame.<name>` so the
 * record can be inspected or replayed.
 */
export function deadLetterMessage(
  record: FailedRecord,
  failure: { stage: DlqStage; reason: string },
  agent: string,
  maxBytes: number,
  now = Date.now(),
): Message {
  const meta: DlqHeaders = {
    reason: failure.reason.slice(0, 1000),
    stage: failure.stage,
    "source-topic": record.topic,
    "source-partition": record.partition,
    "source-offset": record.offset,
    agent,
    time: now,
  };
  dlqHeadersSchema.parse(meta);
  const size = record.value?.length ?? 0;
  const truncated = size > maxBytes;
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(meta)) headers[name] = String(value);
  headers["original-size"] = String(size);
  headers.truncated = String(truncated);
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) headers[`frame.${name}`] = first.toString().slice(0, 256);
  }
  return {
    key: record.key,
    value: record.value === null ? null : truncated ? record.value.subarray(0, maxBytes) : record.value,
    headers,
  };
}
