/**
 * The partition kafkajs's default partitioner (murmur2 of the key, as the Java client) gives a keyed
 * record on a topic of `partitionCount` partitions: where a camera's frames go when the plan does not
 * place the camera.
 */
import kafkajs, { type PartitionMetadata } from "kafkajs";

const { Partitioners } = kafkajs;
const partitioner = Partitioners.DefaultPartitioner();
const metadataCache = new Map<number, PartitionMetadata[]>();

function metadataOf(partitionCount: number): PartitionMetadata[] {
  let metadata = metadataCache.get(partitionCount);
  if (!metadata) {
    metadata = Array.from({ length: partitionCount }, (_, partitionId) => ({
      partitionErrorCode: 0,
      partitionId,
      leader: 1,
      replicas: [1],
      isr: [1],
    }));
    metadataCache.set(partitionCount, metadata);
  }
  return metadata;
}

export function keyPartition(key: string, partitionCount: number, topic = "frames"): number {
  return partitioner({ topic, partitionMetadata: metadataOf(partitionCount), message: { key, value: null } });
}
