import type { Message, TopicMessages } from "kafkajs";
import type { Detection } from "../../protocol/detection.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { encodeFrameHeaders } from "../../protocol/frame-headers.js";
import { topics } from "../../protocol/topics.js";

/** Everything one frame produces. */
export type FrameOutputs = { detection: Detection; annotated: Buffer | null; events: RecognitionEvent[] };

/**
 * The records of one frame, for one `sendBatch` with acks=all: its detection, its annotated JPEG
 * (a valid frame itself: same headers, producer = this agent, plus where it came from) and its
 * events. All keyed by camera id, so each camera's results stay in order on one partition.
 */
export function outputMessages(outputs: FrameOutputs): TopicMessages[] {
  const { detection } = outputs;
  const key = detection.camera;
  const batches: TopicMessages[] = [{ topic: topics.detections, messages: [{ key, value: JSON.stringify(detection) }] }];
  if (outputs.annotated) {
    const headers = {
      ...encodeFrameHeaders({
        camera: detection.camera,
        seq: detection.seq,
        "capture-time": detection.captureTime,
        width: detection.width,
        height: detection.height,
        format: "jpeg",
        producer: detection.agent,
      }),
      "source-partition": String(detection.partition),
      "source-offset": detection.offset,
      "gallery-version": String(detection.galleryVersion),
    };
    batches.push({ topic: topics.annotated, messages: [{ key, value: outputs.annotated, headers }] });
  }
  if (outputs.events.length > 0) batches.push({ topic: topics.events, messages: outputs.events.map(eventMessage) });
  return batches;
}

export function eventMessage(event: RecognitionEvent): Message {
  return { key: event.camera, value: JSON.stringify(event) };
}
