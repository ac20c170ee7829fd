/**
 * One-shot writes for short commands (`facefleet gallery push|remove`, `enroll --publish`): a GalleryWriter
 * (gallery-writer.ts) opened for the records and closed again. Returns the gallery version the agents will reach
 * (the sum over the topic's partitions of their high watermarks).
 */
import { FacefleetError } from "../core/errors.js";
import type { KafkaConnection } from "../kafka/connection-config.js";
import { topics } from "../protocol/topics.js";
import type { Identity, RecognizerStamp } from "../recognition/gallery.js";
import { type GalleryWrite, GalleryWriter } from "./gallery-writer.js";

async function writeOnce(connection: KafkaConnection, writes: GalleryWrite[], topic: string): Promise<number> {
  const writer = await GalleryWriter.connect(connection, topic);
  try {
    return (await writer.write(writes)).version;
  } finally {
    await writer.stop();
  }
}

/** Publishes identities of a gallery (each replaces earlier records of its name); returns the gallery version. */
export function publishIdentities(
  connection: KafkaConnection,
  identities: readonly Identity[],
  recognizer: RecognizerStamp,
  topic: string = topics.gallery,
): Promise<number> {
  if (identities.length === 0) throw new FacefleetError("no identities to publish");
  return writeOnce(
    connection,
    identities.map((identity) => ({ kind: "put", identity, recognizer })),
    topic,
  );
}

/** Tombstones for `names` (every agent forgets them); returns the gallery version. */
export function removeIdentities(connection: KafkaConnection, names: readonly string[], topic: string = topics.gallery): Promise<number> {
  return writeOnce(
    connection,
    names.map((name) => ({ kind: "delete", name })),
    topic,
  );
}
