import { existsSync } from "node:fs";
import { FacefleetError, UsageError } from "../../core/errors.js";
import { assertGalleryTopicReachable } from "../../gallery/gallery-topic.js";
import { publishIdentities } from "../../gallery/publish-identities.js";
import { topics } from "../../protocol/topics.js";
import { embedEnrollmentSources, listEnrollmentSources } from "../../recognition/enrollment.js";
import { assertSameRecognizer, emptyGallery, readGallery, upsertIdentities, writeGallery } from "../../recognition/gallery.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { kafkaConnectionFromOptions } from "../kafka-config-options.js";
import type { Command } from "../main.js";
import { parseOptions, requireString } from "../parse-options.js";
import { createProgress } from "../progress.js";
import { recognitionOptions, recognitionOptionsHelp, recognitionSettingsFromOptions } from "../recognition-options.js";

const help = `usage: facefleet enroll DIR --gallery FILE [--json] [--publish [--brokers H:P,...|--config FILE]]

Enrolls DIR/<identity>/*.jpg and DIR/<identity>.jpg (JPEG, PNG, WebP) into the gallery FILE.
Each picture gives one face: the only one, or the largest when it clearly is the subject (at least
1.5x the area of the next face and the face nearest the centre; the others are listed as ignored
background faces). Pictures with no face, several faces and no clear subject, or a face too small, blurred or
turned are rejected and listed with the reason. Identities found in DIR
replace their earlier embeddings; other identities in the gallery are kept. FILE is written atomically.

  --gallery FILE   gallery to create or update
  --json           print the result as one JSON object
  --publish        after writing FILE, publish the identities enrolled now to the gallery topic
                   (as facefleet gallery push does) and print the gallery version the agents will reach
  --brokers LIST   with --publish: host:port,... (default 127.0.0.1:9092)
  --config FILE    with --publish: take the Kafka connection from a config file's kafka section (agent or coordinator)
  --kafka-credentials FILE
                   with --publish: TLS CA and SASL user of a secure broker (kafka up --secure's credentials.json)
  --topic NAME     with --publish: gallery topic (default ${topics.gallery})

${recognitionOptionsHelp}`;

export const enrollCommand: Command = {
  summary: "enroll people from a folder of photos into a gallery file",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      gallery: { type: "string" },
      json: { type: "boolean" },
      publish: { type: "boolean" },
      brokers: { type: "string" },
      config: { type: "string" },
      "kafka-credentials": { type: "string" },
      topic: { type: "string" },
      help: { type: "boolean" },
      ...recognitionOptions,
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError("expected exactly one DIR (see facefleet enroll --help)");
    const dir = positionals[0] as string;
    const galleryPath = requireString(values, "gallery");
    for (const option of ["brokers", "config", "topic"] as const)
      if (values[option] !== undefined && !values.publish) throw new UsageError(`--${option} only goes with --publish`);
    // A bad Kafka connection, an unreachable broker or a missing topic is reported before the (slow)
    // enrollment, and before the gallery file is touched, not after it.
    const connection = values.publish ? await kafkaConnectionFromOptions(values) : undefined;
    const topic = values.topic ?? topics.gallery;
    if (connection) await assertGalleryTopicReachable(connection, topic);
    const settings = recognitionSettingsFromOptions(values);
    const sources = await listEnrollmentSources(dir);
    const pipeline = await RecognitionPipeline.load(settings);
    const galleryExisted = existsSync(galleryPath);
    const existing = galleryExisted ? await readGallery(galleryPath) : emptyGallery(pipeline.recognizer);
    assertSameRecognizer(existing, pipeline.recognizer, `gallery ${galleryPath}`);
    const result = await embedEnrollmentSources(pipeline, sources, createProgress("enroll"));
    if (result.identities.length === 0) {
      // The reasons go where a successful run lists them (stdout); stderr gets the one error line.
      if (values.json)
        process.stdout.write(
          `${JSON.stringify({ gallery: galleryPath, version: existing.version, identities: [], rejected: result.rejected.map((r) => ({ image: r.path, identity: r.identity, reason: r.reason })) })}\n`,
        );
      else {
        process.stdout.write(`rejected ${result.rejected.length} picture(s):\n`);
        for (const r of result.rejected) process.stdout.write(`  ${r.path}: ${r.reason}\n`);
      }
      const first = result.rejected[0];
      const example = first
        ? ` (${first.path}: ${first.reason}${result.rejected.length > 1 ? `; ${result.rejected.length - 1} more listed on stdout` : ""})`
        : "";
      throw new FacefleetError(
        `no picture in ${dir} could be enrolled${example}; ${galleryPath} ${galleryExisted ? "is unchanged" : "was not created"}`,
      );
    }
    const gallery = upsertIdentities({ ...existing, recognizer: pipeline.recognizer }, result.identities);
    await writeGallery(galleryPath, gallery);
    let published: { topic: string; version: number } | undefined;
    if (connection) {
      // Only the identities of DIR changed: the others on the topic stay as they are.
      const names = result.identities.map((i) => i.name);
      const changed = gallery.identities.filter((i) => names.includes(i.name));
      try {
        published = { topic, version: await publishIdentities(connection, changed, gallery.recognizer, topic) };
      } catch (error) {
        throw new FacefleetError(
          `${galleryPath} was written (version ${gallery.version}) but publishing to ${topic} failed: ${(error as Error).message.split("\n")[0]}; ` +
            `retry with facefleet gallery push --gallery ${galleryPath} --only ${names.join(",")}`,
        );
      }
    }
    if (values.json) {
      const summary = {
        gallery: galleryPath,
        version: gallery.version,
        identities: result.identities.map((i) => ({ name: i.name, images: i.embeddings.length })),
        rejected: result.rejected.map((r) => ({ image: r.path, identity: r.identity, reason: r.reason })),
        ignored: result.ignored.map((n) => ({ image: n.path, identity: n.identity, faces: n.ignoredFaces })),
        ...(published ? { published: { topic: published.topic, galleryVersion: published.version } } : {}),
      };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write(
        `enrolled ${result.accepted} picture(s) of ${result.identities.length} identit${result.identities.length === 1 ? "y" : "ies"} into ${galleryPath} (version ${gallery.version}, ${gallery.identities.length} identities in all)\n`,
      );
      if (result.ignored.length > 0) {
        process.stdout.write(`enrolled the subject of ${result.ignored.length} picture(s) with other faces:\n`);
        for (const n of result.ignored) process.stdout.write(`  ${n.path}: ${n.note}\n`);
      }
      if (result.rejected.length > 0) {
        process.stdout.write(`rejected ${result.rejected.length} picture(s):\n`);
        for (const r of result.rejected) process.stdout.write(`  ${r.path}: ${r.reason}\n`);
      }
      if (published)
        process.stdout.write(
          `published ${result.identities.length} identit${result.identities.length === 1 ? "y" : "ies"} (${result.identities.map((i) => i.name).join(", ")}) to ${published.topic}; gallery version ${published.version}\n`,
        );
    }
    return 0;
  },
};
