/**
 * Creates topics and waits until every partition has a leader. kafkajs's own wait (`waitForLeaders`)
 * gives up with UNKNOWN_TOPIC_OR_PARTITION when the broker's metadata lags behind the creation (seen on
 * a busy machine), so the wait is done here with metadata requests until it holds or `timeoutMs` passes.
 */
import type { Admin, ITopicConfig } from "kafkajs";
import { FacefleetError } from "../core/errors.js";

export async function createTopicsAndWait(admin: Admin, topics: ITopicConfig[], timeoutMs = 60_000): Promise<void> {
  if (topics.length === 0) return;
  await admin.createTopics({ waitForLeaders: false, topics });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const { topics: found } = await admin.fetchTopicMetadata({ topics: topics.map((t) => t.topic) });
      const ready = topics.every((spec) => {
        const meta = found.find((t) => t.name === spec.topic);
        const expected = spec.numPartitions ?? 1;
        return meta !== undefined && meta.partitions.length >= expected && meta.partitions.every((p) => p.leader >= 0);
      });
      if (ready) return;
    } catch {
      // the metadata is not there yet
    }
    if (Date.now() > deadline)
      throw new FacefleetError(`topics ${topics.map((t) => t.topic).join(", ")} have no leader after ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
