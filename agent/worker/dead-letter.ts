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

/** At most this many of the frame's headers are copied, names cut to 64 characters and values to 256. */
export const DLQ_FRAME_HEADERS = 32;

/**
 * A facefleet.dlq record: the original bytes as the value (cut to `maxBytes` so an oversized frame
 * still fits the broker's message.max.bytes; `truncated` and `original-size` say so), the reason and
 * origin as headers (protocol/dlq-record.ts), and the frame's own headers under `frame.<name>` so the
 * record can be inspected or replayed: the first DLQ_FRAME_HEADERS of them (`frame-headers-dropped` counts the
 * rest), so a frame with thousands of junk headers still makes a DLQ record of bounded size.
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
  let copied = 0;
  let dropped = 0;
  for (const [name, value] of Object.entries(record.headers ?? {})) {
    if (value === undefined) continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first === undefined) continue;
    if (copied >= DLQ_FRAME_HEADERS) {
      dropped++;
      continue;
    }
    headers[`frame.${name.slice(0, 64)}`] = first.toString().slice(0, 256);
    copied++;
  }
  if (dropped > 0) headers["frame-headers-dropped"] = String(dropped);
  return {
    key: record.key,
    value: record.value === null ? null : truncated ? record.value.subarray(0, maxBytes) : record.value,
    headers,
  };
}
