import { extname } from "node:path";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { describeError, FacefleetError, UsageError } from "../../core/errors.js";
import { attributeNames } from "../../models/manifest-schema.js";
import { annotateImage } from "../../recognition/annotate.js";
import { attributeLabel } from "../../recognition/attributes/attribute-label.js";
import { AttributeModels } from "../../recognition/attributes/attribute-models.js";
import { loadMatcher } from "../../recognition/load-matcher.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import type { Command } from "../main.js";
import { matcherOptions, matcherOptionsHelp, parseMatcherOptions } from "../matcher-options.js";
import { parseOptions, requireString } from "../parse-options.js";
import { recognitionOptions, recognitionOptionsHelp, recognitionSettingsFromOptions } from "../recognition-options.js";

const help = `usage: facefleet annotate IMAGE --gallery FILE -o OUT.jpg [--classifier FILE] [--threshold T | --false-accept RATE] [--attributes]

Draws a box, the name (or Unknown) and the distance/confidence on every face; writes OUT atomically
(.jpg, .png or .webp).

  --attributes        also draw each named-size face's emotion, age and gender under its name
                      (e.g. "happy · 43 · m"; the models of models/manifest.json defaults.attributes)

${matcherOptionsHelp}

${recognitionOptionsHelp}`;

const formats: Record<string, "jpeg" | "png" | "webp"> = { ".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".webp": "webp" };

export const annotateCommand: Command = {
  summary: "draw boxes and names on a picture",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      gallery: { type: "string" },
      classifier: { type: "string" },
      ...matcherOptions,
      output: { type: "string", short: "o" },
      attributes: { type: "boolean" },
      help: { type: "boolean" },
      ...recognitionOptions,
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError("expected exactly one IMAGE (see facefleet annotate --help)");
    const output = requireString(values, "output");
    const format = formats[extname(output).toLowerCase()];
    if (!format) throw new UsageError(`-o ${output}: the output must end in .jpg, .jpeg, .png or .webp`);
    if (!values.gallery && !values.classifier) throw new UsageError("--gallery FILE (or --classifier FILE) is required");
    const strictness = parseMatcherOptions(values);
    const settings = recognitionSettingsFromOptions(values);
    const pipeline = await RecognitionPipeline.load(settings);
    const matcher = await loadMatcher(pipeline, { gallery: values.gallery, classifier: values.classifier, ...strictness });
    const input = positionals[0] as string;
    const { image, faces } = await pipeline.analyse(input).catch((error: unknown) => {
      throw new FacefleetError(`${input}: ${describeError(error)}; ${output} was not written`);
    });
    // As identify --attributes and the agent: on the faces large enough to be named (recognition.minFaceSize).
    const attributes = new Map<(typeof faces)[number], string | undefined>();
    if (values.attributes) {
      const models = await AttributeModels.load(attributeNames, {
        modelDirs: settings.modelDirs,
        executionProvider: settings.executionProvider,
        threads: settings.threads,
      });
      const chosen = faces.filter((face) => pipeline.isRecognisable(face));
      const estimated = await models.estimate(image, chosen);
      chosen.forEach((face, i) => {
        attributes.set(face, attributeLabel(estimated.attributes[i]));
      });
    }
    const labels = faces.map((face) => {
      const match = face.embedding ? matcher.match(face.embedding) : null;
      const detail = match ? ("distance" in match ? match.distance.toFixed(2) : `${Math.round(match.confidence * 100)}%`) : "too small";
      return { box: face.box, identity: match?.identity ?? "Unknown", detail, attributes: attributes.get(face) };
    });
    await writeFileAtomic(output, await annotateImage(image, labels, format));
    process.stdout.write(`${output}: ${faces.length} face(s) drawn\n`);
    return 0;
  },
};
