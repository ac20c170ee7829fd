import type { Kafka } from "kafkajs";
import { FacefleetError } from "../core/errors.js";

/** Fails in one line naming the topics that do not exist (the coordinator creates none). */
export async function assertTopics(kafka: Kafka, needed: string[]): Promise<void> {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const existing = new Set(await admin.listTopics());
    const missing = needed.filter((t) => !existing.has(t));
    if (missing.length > 0) throw new FacefleetError(`missing topic(s) ${missing.join(", ")}: run facefleet topics ensure`);
  } catch (error) {
    if (error instanceof FacefleetError) throw error;
    throw new FacefleetError(`kafka: ${(error as Error).message}`);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
