import { logLevel } from "kafkajs";
import { FacefleetError, UsageError } from "../../core/errors.js";
import { GalleryReader } from "../../gallery/gallery-reader.js";
import { publishIdentities, removeIdentities } from "../../gallery/publish-identities.js";
import { assertBrokersReachable } from "../../kafka/broker-reachable.js";
import { createKafka } from "../../kafka/client.js";
import { topics } from "../../protocol/topics.js";
import { readGallery } from "../../recognition/gallery.js";
import { kafkaConnectionFromOptions } from "../kafka-config-options.js";
import type { Command } from "../main.js";
import { parseOptions, requireString } from "../parse-options.js";

const help = `usage: facefleet gallery push --gallery FILE [--only NAME,...]
       facefleet gallery remove NAME...
       facefleet gallery list [--json]

The enrolled identities every agent matches against live in the compacted topic facefleet.gallery
(one record per identity; see protocol/gallery-record.ts). Running agents pick up a change within
about a second, without a restart; their detections carry the new gallery version.

  push     publish the identities of a gallery file (from facefleet enroll); they replace earlier
           records of the same names; other identities on the topic stay
  remove   delete identities (tombstones)
  list     the identities on the topic, and its gallery version

options:
  --gallery FILE     gallery file to push
  --only NAMES       push only these identities (comma-separated)
  --topic NAME       gallery topic (default ${topics.gallery})
  --brokers LIST     host:port,... (default 127.0.0.1:9092)
  --config FILE      take the Kafka connection from a config file's kafka section (agent or coordinator)
  --kafka-credentials FILE
                     TLS CA and SASL user of a secure broker (kafka up --secure's credentials.json)
  --json             list as JSON
  -h, --help         this text`;

export const galleryCommand: Command = {
  summary: "publish, remove or list the identities on the gallery topic",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      gallery: { type: "string" },
      only: { type: "string" },
      topic: { type: "string" },
      brokers: { type: "string" },
      config: { type: "string" },
      "kafka-credentials": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    const [action, ...rest] = positionals;
    const topic = values.topic ?? topics.gallery;
    if (action === "push") {
      if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}' (see facefleet gallery --help)`);
      const path = requireString(values, "gallery");
      const gallery = await readGallery(path);
      const only = values.only
        ?.split(",")
        .map((n) => n.trim())
        .filter(Boolean);
      const unknown = only?.filter((n) => !gallery.identities.some((i) => i.name === n)) ?? [];
      if (unknown.length > 0) throw new UsageError(`--only: ${unknown.join(", ")} not in ${path}`);
      const identities = only ? gallery.identities.filter((i) => only.includes(i.name)) : gallery.identities;
      if (identities.length === 0) throw new FacefleetError(`${path} has no identities to push`);
      const version = await publishIdentities(await kafkaConnectionFromOptions(values), identities, gallery.recognizer, topic);
      process.stdout.write(
        `pushed ${identities.length} identit${identities.length === 1 ? "y" : "ies"} (${identities.map((i) => i.name).join(", ")}) to ${topic}; gallery version ${version}\n`,
      );
      return 0;
    }
    if (action === "remove") {
      if (rest.length === 0) throw new UsageError("gallery remove: name at least one identity");
      const version = await removeIdentities(await kafkaConnectionFromOptions(values), rest, topic);
      process.stdout.write(`removed ${rest.join(", ")} from ${topic}; gallery version ${version}\n`);
      return 0;
    }
    if (action === "list") {
      const connection = await kafkaConnectionFromOptions(values);
      await assertBrokersReachable(connection);
      const kafka = createKafka(connection, logLevel.NOTHING);
      const reader = new GalleryReader({ kafka, topic, clientName: "gallery-cli" });
      await reader.start(60_000);
      const entries = reader.entries();
      const version = reader.version;
      await reader.stop();
      if (values.json) process.stdout.write(`${JSON.stringify({ topic, version, identities: entries })}\n`);
      else {
        process.stdout.write(`${topic}: gallery version ${version}, ${entries.length} identities\n`);
        for (const e of entries) process.stdout.write(`  ${e.name}  ${e.embeddings} embedding(s)  ${e.recognizer}  ${e.updatedAt}\n`);
      }
      return 0;
    }
    throw new UsageError(
      action === undefined ? "expected push, remove or list (see facefleet gallery --help)" : `unknown action '${action}'`,
    );
  },
};
