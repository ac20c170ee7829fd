/**
 * The gallery of a long-running process that both reads and writes it (the coordinator: its people and
 * corrections features share this one instance): one GalleryReader, and one GalleryWriter that reads its writes
 * back through that reader.
 */
import type { Kafka } from "kafkajs";
import { topics } from "../protocol/topics.js";
import { GalleryReader } from "./gallery-reader.js";
import { GalleryWriter } from "./gallery-writer.js";

export type OpenGallery = {
  reader: GalleryReader;
  writer: GalleryWriter;
  /** The writer's queue drained, then the producer and the reader stopped. */
  stop(): Promise<void>;
};

export type OpenGalleryOptions = {
  kafka: Kafka;
  /** Default facefleet.gallery. */
  topic?: string;
  /** Names the reader's consumer group. */
  clientName: string;
  /** Reading the topic to its end at start; default 60 s. */
  startTimeoutMs?: number;
  log?: (line: string) => void;
};

/** Reads the topic to its end, then connects the writer. */
export async function openGallery(options: OpenGalleryOptions): Promise<OpenGallery> {
  const log = options.log;
  const reader = new GalleryReader({
    kafka: options.kafka,
    topic: options.topic ?? topics.gallery,
    clientName: options.clientName,
    maxWaitTimeInMs: 100, // a write is read back before it is answered
    ...(log ? { log } : {}),
  });
  await reader.start(options.startTimeoutMs ?? 60_000);
  let writer: GalleryWriter;
  try {
    writer = await GalleryWriter.start({ kafka: options.kafka, reader, ...(log ? { log } : {}) });
  } catch (error) {
    await reader.stop();
    throw error;
  }
  return {
    reader,
    writer,
    async stop() {
      await writer.stop();
      await reader.stop();
    },
  };
}
