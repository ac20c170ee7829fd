/** The gallery topic as a whole: its version from the brokers, and the checks a writer makes before it writes. */
import { type Kafka, logLevel } from "kafkajs";
import { FacefleetError } from "../core/errors.js";
import { assertBrokersReachable } from "../kafka/broker-reachable.js";
import { createKafka } from "../kafka/client.js";
import type { KafkaConnection } from "../kafka/connection-config.js";
import { topics } from "../protocol/topics.js";

/** The gallery version of a topic: the sum of its partitions' high watermarks (what a reader reaches). */
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

export async function assertGalleryTopic(kafka: Kafka, topic: string): Promise<void> {
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
  await assertGalleryTopic(createKafka(connection, logLevel.NOTHING), topic);
}
