import type { Kafka } from "kafkajs";

/**
 * Removes the consumer group of a short-lived reader (tail, the gallery and plan followers) after its consumer
 * disconnected. Best effort: an empty group without offsets also expires on its own.
 */
export async function deleteReaderGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.deleteGroups([groupId]);
  } catch {
    // left to expire
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
