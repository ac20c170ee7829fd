/**
 * Publishing to the compacted gallery topic (protocol/gallery-record.ts): what `facefleet gallery
 * push|remove` and `facefleet enroll --publish` share. One idempotent produce (acks=all) of all the
 * records, then the gallery version the agents will reach (agent/worker/gallery-follower.ts: the
 * sum over the topic's partitions of their high watermarks).
 */
import kafkajs, { type Kafka, logLevel, type Message } from "kafkajs";
import { FacefleetError } from "../core/errors.js";
import { encodeGalleryRecord } from "../protocol/gallery-record.js";
import { topics } from "../protocol/topics.js";
import type { Identity, RecognizerStamp } from "../recognition/gallery.js";
import { assertBrokersReachable } from "./broker-reachable.js";
import { createKafka } from "./client.js";
import type { KafkaConnection } from "./connection-config.js";

const { Partitioners } = kafkajs;

/** The gallery version of a topic: the sum of its partitions' high watermarks. */
export async function galleryTopicVersion(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function assertTopic(kafka: Kafka, topic: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    if (!(await admin.listTopics()).includes(topic)) throw new FacefleetError(`topic ${topic} does not exist: run facefleet topics ensure`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Fails in one line when the brokers cannot be reached or the gallery topic is missing: `enroll --publish`
 * checks this before it enrolls, so an unreachable broker leaves the gallery file as it was.
 */
export async function assertGalleryTopicReachable(connection: KafkaConnection, topic: string = topics.gallery): Promise<void> {
  await assertBrokersReachable(connection);
  await assertTopic(createKafka(connection, logLevel.NOTHING), topic);
}

/** Sends gallery records (identities or tombstones) and returns the gallery version the agents will reach. */
export async function sendGalleryRecords(
  connection: KafkaConnection,
  messages: Message[],
  topic: string = topics.gallery,
): Promise<number> {
  // kafkajs logs every retriable error (a broker still loading, a leader election) as an ERROR line; a short
  // command logs nothing of it and reports only the error that ended it, once (core/errors.ts).
  await assertBrokersReachable(connection);
  const kafka = createKafka(connection, logLevel.NOTHING);
  await assertTopic(kafka, topic);
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    await producer.send({ topic, messages, acks: -1 });
  } finally {
    await producer.disconnect();
  }
  return galleryTopicVersion(kafka, topic);
}

/** Publishes identities of a gallery (each replaces earlier records of its name); returns the gallery version. */
export function publishIdentities(
  connection: KafkaConnection,
  identities: readonly Identity[],
  recognizer: RecognizerStamp,
  topic: string = topics.gallery,
): Promise<number> {
  if (identities.length === 0) throw new FacefleetError("no identities to publish");
  return sendGalleryRecords(
    connection,
    identities.map((i) => encodeGalleryRecord(i, recognizer)),
    topic,
  );
}
