/**
 * The one writer of the compacted facefleet.gallery topic (protocol/gallery-record.ts): one idempotent producer
 * (acks=all, the Java-compatible partitioner, so a name always lands in the same partition), and one queue through
 * which every write of the process goes, in order.
 *
 * `update(plan)` is a read-modify-write: `plan` runs inside the queue against the reader's state, and the write is
 * read back (each record carries a tag header the reader hands back) before the next one runs, so an upload and a
 * correction of the same person build on each other instead of one overwriting the other. A record of the same
 * name written by another process between what `plan` read and our record would be overwritten: the writer sees it
 * while reading back, runs `plan` again on that record and writes the result (at most `MAX_ATTEMPTS` times).
 *
 * Without a reader (the CLI's one-shot `gallery push|remove`, `enroll --publish`) only `write` can be used: blind
 * writes that replace an identity, and the version is the topic's high watermarks after the write.
 */
import { randomUUID } from "node:crypto";
import kafkajs, { type Kafka, logLevel, type Producer } from "kafkajs";
import { assertBrokersReachable } from "../kafka/broker-reachable.js";
import { createKafka } from "../kafka/client.js";
import type { KafkaConnection } from "../kafka/connection-config.js";
import { encodeGalleryRecord, galleryTombstone } from "../protocol/gallery-record.js";
import { topics } from "../protocol/topics.js";
import type { Identity, RecognizerStamp } from "../recognition/gallery.js";
import { type AppliedRecord, type GalleryReader, type HeldIdentity, WRITE_TAG_HEADER } from "./gallery-reader.js";
import { assertGalleryTopic, galleryTopicVersion } from "./gallery-topic.js";

const { Partitioners } = kafkajs;

/** One record to write: an identity (replacing its earlier records), or a tombstone. */
export type GalleryWrite = { kind: "put"; identity: Identity; recognizer: RecognizerStamp; time?: Date } | { kind: "delete"; name: string };

/** What a plan reads: the gallery as the reader holds it, with our own earlier writes read back. */
export type GalleryLookup = { get(name: string): HeldIdentity | undefined };

/** What `update` and `write` need of a writer (services take this, so a unit test can give its own). */
export type GalleryUpdates = {
  update(plan: (gallery: GalleryLookup) => GalleryWrite[] | Promise<GalleryWrite[]>): Promise<GalleryWriteResult>;
};

export type GalleryWriteResult = {
  /** The records written (the last attempt's); empty when the plan had nothing to write. */
  writes: GalleryWrite[];
  /** The gallery version after the write: the reader's, once it has read the write back. */
  version: number;
};

export type GalleryWriterOptions = {
  kafka: Kafka;
  /** Default: the reader's topic, else facefleet.gallery. */
  topic?: string;
  /** Needed for `update`; `write` without one returns the topic's high watermarks. */
  reader?: GalleryReader;
  /** How long a write waits to be read back before it is answered anyway (logged); default 15 s. */
  readBackMs?: number;
  log?: (line: string) => void;
};

const MAX_ATTEMPTS = 5;

export class GalleryWriter implements GalleryUpdates {
  private readonly topic: string;
  private readonly id = randomUUID().slice(0, 8);
  private sequence = 0;
  private queue: Promise<unknown> = Promise.resolve();
  /** Tags of records in flight → called with the record once the reader applied it. */
  private readonly inFlight = new Map<string, (record: AppliedRecord) => void>();
  /** Records of other writers applied while an update of ours runs (undefined: none runs). */
  private foreign: AppliedRecord[] | undefined;
  private readonly unsubscribe: () => void;

  private constructor(
    private readonly options: GalleryWriterOptions,
    private readonly producer: Producer,
  ) {
    this.topic = options.topic ?? options.reader?.topic ?? topics.gallery;
    this.unsubscribe =
      options.reader?.onRecord((record) => {
        const ours = record.tag === undefined ? undefined : this.inFlight.get(record.tag);
        if (ours) ours(record);
        else this.foreign?.push(record);
      }) ?? (() => {});
  }

  /** Connects the producer (the topic is the caller's to check, as the coordinator does at start). */
  static async start(options: GalleryWriterOptions): Promise<GalleryWriter> {
    const producer = options.kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return new GalleryWriter(options, producer);
  }

  /**
   * For a short command: checks the brokers and the topic first (one clear line when either is missing) and logs
   * nothing of kafkajs's retries (core/errors.ts reports the error that ended it, once).
   */
  static async connect(connection: KafkaConnection, topic: string = topics.gallery): Promise<GalleryWriter> {
    await assertBrokersReachable(connection);
    const kafka = createKafka(connection, logLevel.NOTHING);
    await assertGalleryTopic(kafka, topic);
    return GalleryWriter.start({ kafka, topic });
  }

  /** Blind writes (each replaces its name's earlier records), in the queue. */
  write(writes: GalleryWrite[]): Promise<GalleryWriteResult> {
    return this.exclusive(() => this.send(writes));
  }

  /** A read-modify-write in the queue: `plan` may throw to write nothing (the error is the answer). */
  update(plan: (gallery: GalleryLookup) => GalleryWrite[] | Promise<GalleryWrite[]>): Promise<GalleryWriteResult> {
    const reader = this.options.reader;
    if (!reader) return Promise.reject(new Error("gallery writer: update needs a reader"));
    return this.exclusive(async () => {
      let base: GalleryLookup = reader;
      for (let attempt = 1; ; attempt++) {
        this.foreign = [];
        const seen = new Map<string, number>();
        const lookup: GalleryLookup = {
          get: (name) => {
            const identity = base.get(name);
            seen.set(name, identity?.revision ?? -1);
            return identity;
          },
        };
        let writes: GalleryWrite[];
        try {
          writes = await plan(lookup);
        } catch (error) {
          this.foreign = undefined;
          throw error;
        }
        const { result, overwritten } = await this.sendTracked(writes, seen);
        if (overwritten.size === 0) return result;
        const names = [...overwritten.keys()].join(", ");
        if (attempt >= MAX_ATTEMPTS) {
          this.options.log?.(`gallery: ${names} written by another writer ${attempt} times while we wrote: theirs may be overwritten`);
          return result;
        }
        this.options.log?.(`gallery: ${names} written by another writer meanwhile: applying this change to theirs again`);
        base = { get: (name) => (overwritten.has(name) ? overwritten.get(name) : reader.get(name)) };
      }
    });
  }

  async stop(): Promise<void> {
    await this.queue.catch(() => undefined);
    this.unsubscribe();
    await this.producer.disconnect().catch(() => undefined);
  }

  private async send(writes: GalleryWrite[]): Promise<GalleryWriteResult> {
    return (await this.sendTracked(writes, new Map())).result;
  }

  /**
   * Sends the records and, with a reader, waits until it has applied them. `overwritten`: names another writer
   * wrote between what the plan read (`seen`: the revision per name) and our record (by name: the newest such
   * record, undefined for a tombstone).
   */
  private async sendTracked(
    writes: GalleryWrite[],
    seen: ReadonlyMap<string, number>,
  ): Promise<{ result: GalleryWriteResult; overwritten: Map<string, HeldIdentity | undefined> }> {
    const overwritten = new Map<string, HeldIdentity | undefined>();
    const reader = this.options.reader;
    if (writes.length === 0) return { result: { writes, version: reader?.version ?? 0 }, overwritten };
    const tags = writes.map(() => `${this.id}:${++this.sequence}`);
    const readBack = new Map<string, AppliedRecord>();
    let allRead!: () => void;
    const done = new Promise<void>((resolve) => {
      allRead = resolve;
    });
    if (reader) {
      this.foreign ??= [];
      for (const tag of tags)
        this.inFlight.set(tag, (record) => {
          readBack.set(tag, record);
          if (readBack.size === tags.length) allRead();
        });
    }
    const baseline = new Map(writes.map((w) => [nameOf(w), seen.get(nameOf(w)) ?? reader?.get(nameOf(w))?.revision ?? -1]));
    try {
      const messages = writes.map((write, i) => ({ ...encode(write), headers: { [WRITE_TAG_HEADER]: tags[i] as string } }));
      await this.producer.send({ topic: this.topic, acks: -1, messages });
      if (!reader) return { result: { writes, version: await galleryTopicVersion(this.options.kafka, this.topic) }, overwritten };
      const readBackMs = this.options.readBackMs ?? 15_000;
      let timer: NodeJS.Timeout | undefined;
      const inTime = await Promise.race([
        done.then(() => true),
        new Promise<boolean>((resolve) => {
          timer = setTimeout(() => resolve(false), readBackMs);
        }),
      ]);
      clearTimeout(timer);
      if (!inTime) this.options.log?.(`gallery: a write to ${this.topic} was not read back within ${readBackMs / 1000} s`);
      for (const record of readBack.values()) {
        const before = baseline.get(record.name) ?? -1;
        for (const other of this.foreign ?? [])
          if (other.name === record.name && other.partition === record.partition && other.offset > before && other.offset < record.offset)
            overwritten.set(other.name, other.identity);
      }
      return { result: { writes, version: reader.version }, overwritten };
    } finally {
      for (const tag of tags) this.inFlight.delete(tag);
      this.foreign = undefined;
    }
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

function nameOf(write: GalleryWrite): string {
  return write.kind === "put" ? write.identity.name : write.name;
}

function encode(write: GalleryWrite): { key: string; value: string | null } {
  return write.kind === "put" ? encodeGalleryRecord(write.identity, write.recognizer, write.time) : galleryTombstone(write.name);
}
