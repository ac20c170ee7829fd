import type { IHeaders, KafkaMessage } from "kafkajs";
import { type FrameHeaders, parseFrameHeaders } from "../../protocol/frame-headers.js";
import type { DlqStage } from "./stats.js";

/** A key as it may go into a log line: control and non-ASCII characters escaped, at most 64 of them. */
export function printable(text: string, max = 64): string {
  const escaped = text.replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}

/** A record of facefleet.frames that passed the checks at the boundary. */
export type FrameRecord = { topic: string; partition: number; offset: string; headers: FrameHeaders; bytes: Buffer };

/** What the worker does with a record before running any model on it. */
export type Admission =
  | { kind: "frame"; frame: FrameRecord }
  | { kind: "reject"; stage: DlqStage; reason: string; camera?: string }
  | { kind: "stale"; frame: FrameRecord; ageMs: number };

export type AdmissionLimits = { maxFrameBytes: number; maxFrameAgeMs: number; maxFramePixels: number };

/**
 * The checks every frame passes before decoding: size, headers (protocol/frame-headers.ts), the picture
 * size the headers name (width x height, at most maxFramePixels), key = camera id, and age. Cheap and in that order, so an oversized or anonymous record never costs a
 * decode. A rejected record goes to the DLQ; a stale one is skipped and counted.
 */
export function admitFrame(
  topic: string,
  partition: number,
  message: Pick<KafkaMessage, "offset" | "key" | "value" | "headers">,
  limits: AdmissionLimits,
  now = Date.now(),
  /** What to take off a camera's apparent age for the clocks' difference (capture-clock.ts); none by default. */
  clockOffsetMs: (camera: string) => number = () => 0,
): Admission {
  const size = message.value?.length ?? 0;
  if (size > limits.maxFrameBytes) {
    return { kind: "reject", stage: "size", reason: `frame is ${size} bytes, more than the limit of ${limits.maxFrameBytes}` };
  }
  let headers: FrameHeaders;
  try {
    headers = parseFrameHeaders((message.headers ?? {}) as IHeaders as Record<string, Buffer | string | (Buffer | string)[] | undefined>);
  } catch (error) {
    return { kind: "reject", stage: "headers", reason: (error as Error).message };
  }
  const pixels = headers.width * headers.height;
  if (pixels > limits.maxFramePixels) {
    return {
      kind: "reject",
      stage: "size",
      camera: headers.camera,
      reason: `frame is ${headers.width}x${headers.height} (${pixels} pixels), more than the limit of ${limits.maxFramePixels}`,
    };
  }
  const key = message.key?.toString();
  if (key !== headers.camera) {
    return {
      kind: "reject",
      stage: "headers",
      camera: headers.camera,
      reason:
        key === undefined
          ? "record has no key (must be the camera id)"
          : `record key '${printable(key)}' is not the camera header '${headers.camera}'`,
    };
  }
  if (!message.value || size === 0) return { kind: "reject", stage: "decode", camera: headers.camera, reason: "empty frame (no bytes)" };
  const frame: FrameRecord = { topic, partition, offset: message.offset, headers, bytes: message.value };
  const ageMs = now - headers["capture-time"] - clockOffsetMs(headers.camera);
  if (limits.maxFrameAgeMs > 0 && ageMs > limits.maxFrameAgeMs) return { kind: "stale", frame, ageMs };
  return { kind: "frame", frame };
}
