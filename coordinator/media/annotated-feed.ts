/**
 * The live view's source: follows facefleet.annotated (the agents' JPEGs with boxes and names,
 * agent/worker/outputs.ts) from its end with a consumer group of its own (fresh id, nothing committed,
 * deleted on stop), keeps the newest frame of each camera in memory, and tells `onFrame` about new
 * frames at most `maxNotifyPerSecond` times per second per camera (the last frame of a burst is always
 * told, a little later). The camera and capture time come from the frame headers; a record without
 * valid headers falls back to its key and the record's timestamp. Records that are not JPEGs are skipped
 * with one log line each.
 */
import type { Kafka, KafkaMessage } from "kafkajs";
import { startTopicReader, type TopicReader } from "../../kafka/topic-reader.js";
import type { CameraSummary } from "../../protocol/api-media.js";
import { parseFrameHeaders } from "../../protocol/frame-headers.js";
import { topics } from "../../protocol/topics.js";
import type { CameraFrame, CameraMedia } from "./camera-media.js";

export type AnnotatedFeedOptions = {
  kafka: Kafka;
  /** Default facefleet.annotated. */
  topic?: string;
  log: (line: string) => void;
  /** A camera has a new frame at GET /api/cameras/:camera/latest.jpg (throttled per camera). */
  onFrame?: (camera: string, time: number) => void;
  /** Default 4. */
  maxNotifyPerSecond?: number;
  /** Cameras held at most; beyond it the one updated longest ago is dropped. Default 256. */
  maxCameras?: number;
};

type CameraSlot = { frame: CameraFrame; notifiedAt: number; timer: NodeJS.Timeout | undefined };

const MAX_CAMERA_ID = 128;

const isJpeg = (value: Buffer) => value.length > 3 && value[0] === 0xff && value[1] === 0xd8 && value[2] === 0xff;

export class AnnotatedFeed implements CameraMedia {
  private readonly slots = new Map<string, CameraSlot>();
  private readonly intervalMs: number;
  private readonly maxCameras: number;
  private reader: TopicReader | undefined;
  private stopped = false;

  private constructor(private readonly options: AnnotatedFeedOptions) {
    this.intervalMs = 1000 / (options.maxNotifyPerSecond ?? 4);
    this.maxCameras = options.maxCameras ?? 256;
  }

  /** Joins the topic at its end; resolves once the consumer runs. */
  static async start(options: AnnotatedFeedOptions): Promise<AnnotatedFeed> {
    const feed = new AnnotatedFeed(options);
    feed.reader = await startTopicReader({
      kafka: options.kafka,
      topic: options.topic ?? topics.annotated,
      clientName: "coordinator-annotated",
      fromBeginning: false,
      maxWaitTimeInMs: 100,
      onBatch: ({ partition, messages }) => {
        for (const message of messages) feed.take(message, partition);
      },
    });
    return feed;
  }

  cameras(): CameraSummary[] {
    return [...this.slots.values()]
      .map((slot) => ({ camera: slot.frame.camera, updatedAt: slot.frame.time }))
      .sort((a, b) => (a.camera < b.camera ? -1 : a.camera > b.camera ? 1 : 0));
  }

  latest(camera: string): CameraFrame | undefined {
    return this.slots.get(camera)?.frame;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const slot of this.slots.values()) clearTimeout(slot.timer);
    const reader = this.reader;
    this.reader = undefined;
    await reader?.stop();
  }

  private take(message: KafkaMessage, partition: number): void {
    const where = `${this.options.topic ?? topics.annotated}[${partition}]@${message.offset}`;
    const value = message.value;
    if (!value || !isJpeg(value)) {
      this.options.log(`annotated: ${where} is not a JPEG, skipped`);
      return;
    }
    let camera: string;
    let time: number;
    try {
      const headers = parseFrameHeaders(message.headers ?? {});
      camera = headers.camera;
      time = headers["capture-time"];
    } catch {
      camera = message.key?.toString() ?? "";
      time = Number(message.timestamp);
      if (camera.length === 0 || camera.length > MAX_CAMERA_ID) {
        this.options.log(`annotated: ${where} has neither frame headers nor a camera key, skipped`);
        return;
      }
    }
    this.store({ camera, time, jpeg: value });
  }

  private store(frame: CameraFrame): void {
    let slot = this.slots.get(frame.camera);
    if (slot) {
      slot.frame = frame;
      // Most recently updated last, so the first is the one to drop.
      this.slots.delete(frame.camera);
      this.slots.set(frame.camera, slot);
    } else {
      slot = { frame, notifiedAt: 0, timer: undefined };
      this.slots.set(frame.camera, slot);
      while (this.slots.size > this.maxCameras) {
        const [oldest, dropped] = this.slots.entries().next().value as [string, CameraSlot];
        clearTimeout(dropped.timer);
        this.slots.delete(oldest);
      }
    }
    this.notify(slot);
  }

  private notify(slot: CameraSlot): void {
    const onFrame = this.options.onFrame;
    if (!onFrame || slot.timer !== undefined) return;
    const wait = slot.notifiedAt + this.intervalMs - Date.now();
    const tell = () => {
      slot.timer = undefined;
      if (this.stopped || this.slots.get(slot.frame.camera) !== slot) return;
      slot.notifiedAt = Date.now();
      try {
        onFrame(slot.frame.camera, slot.frame.time);
      } catch (error) {
        this.options.log(`annotated: frame listener failed: ${(error as Error).message}`);
      }
    };
    if (wait <= 0) tell();
    else slot.timer = setTimeout(tell, wait);
  }
}
