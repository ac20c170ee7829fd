import { existsSync } from "node:fs";
import { embedEnrollmentSources, listEnrollmentSources } from "../../recognition/enrollment.js";
import { assertSameRecognizer, emptyGallery, readGallery, upsertIdentities, writeGallery } from "../../recognition/gallery.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { FacefleetError, UsageError } from "../errors.js";
import type { Command } from "../main.js";
import { parseOptions, requireString } from "../parse-options.js";
import { createProgress } from "../progress.js";
import { recognitionOptions, recognitionOptionsHelp, recognitionSettingsFromOptions } from "../recognition-options.js";

const help = `usage: facefleet enroll DIR --gallery FILE [--json]

Enrolls DIR/<identity>/*.jpg and DIR/<identity>.jpg (JPEG, PNG, WebP) into the gallery FILE.
Pictures with no face or more than one face are rejected and listed. Identities found in DIR
replace their earlier embeddings; other identities in the gallery are kept. FILE is written atomically.

  --gallery FILE   gallery to create or update
  --json           print the result as one JSON object

${recognitionOptionsHelp}`;

export const enrollCommand: Command = {
  summary: "enroll people from a folder of photos into a gallery file",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      gallery: { type: "string" },
      json: { type: "boolean" },
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
    const settings = recognitionSettingsFromOptions(values);
    const sources = await listEnrollmentSources(dir);
    const pipeline = await RecognitionPipeline.load(settings);
    const existing = existsSync(galleryPath) ? await readGallery(galleryPath) : emptyGallery(pipeline.recognizer);
    assertSameRecognizer(existing, pipeline.recognizer, `gallery ${galleryPath}`);
    const result = await embedEnrollmentSources(pipeline, sources, createProgress("enroll"));
    if (result.identities.length === 0) {
      for (const r of result.rejected) process.stderr.write(`rejected ${r.path}: ${r.reason}\n`);
      throw new FacefleetError(`no picture in ${dir} could be enrolled; ${galleryPath} is unchanged`);
    }
    const gallery = upsertIdentities({ ...existing, recognizer: pipeline.recognizer }, result.identities);
    await writeGallery(galleryPath, gallery);
    if (values.json) {
      const summary = {
        gallery: galleryPath,
        version: gallery.version,
        identities: result.identities.map((i) => ({ name: i.name, images: i.embeddings.length })),
        rejected: result.rejected.map((r) => ({ image: r.path, identity: r.identity, reason: r.reason })),
      };
      process.stdout.write(`${JSON.stringify(summary)}\n`);
    } else {
      process.stdout.write(
        `enrolled ${result.accepted} picture(s) of ${result.identities.length} identit${result.identities.length === 1 ? "y" : "ies"} into ${galleryPath} (version ${gallery.version}, ${gallery.identities.length} identities in all)\n`,
      );
      if (result.rejected.length > 0) {
        process.stdout.write(`rejected ${result.rejected.length} picture(s):\n`);
        for (const r of result.rejected) process.stdout.write(`  ${r.path}: ${r.reason}\n`);
      }
    }
    return 0;
  },
};
