import { describeError, FacefleetError, UsageError } from "../../core/errors.js";
import { attributeNames } from "../../models/manifest-schema.js";
import type { FaceAttributes } from "../../recognition/attributes/attribute-model.js";
import { AttributeModels } from "../../recognition/attributes/attribute-models.js";
import { toFaceResult } from "../../recognition/face-result.js";
import { loadMatcher } from "../../recognition/load-matcher.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { expandImageArguments, readPathList } from "../image-arguments.js";
import type { Command } from "../main.js";
import { matcherOptions, matcherOptionsHelp, parseMatcherOptions } from "../matcher-options.js";
import { parseOptions } from "../parse-options.js";
import { recognitionOptions, recognitionOptionsHelp, recognitionSettingsFromOptions } from "../recognition-options.js";

const help = `usage: facefleet identify IMAGE... [--from FILE] --gallery FILE [--classifier FILE] [--threshold T | --false-accept RATE] [--attributes] [--json]

Names the faces in each picture (a directory is walked). With --classifier, the logistic-regression
classifier names them (confidence threshold); otherwise the nearest enrolled face (cosine distance threshold).
A picture that cannot be read gets {"image": PATH, "error": REASON}; the others still run; exit status 1.

  --from FILE         also the pictures (or directories) listed in FILE, one per line; - reads standard input
  --gallery FILE      gallery made by facefleet enroll
  --classifier FILE   classifier made by facefleet train
${matcherOptionsHelp}
  --attributes        also estimate each named-size face's emotion, age and gender (models/manifest.json
                      defaults.attributes; npm run models:build builds them): "attributes": {"emotion":
                      {"value": "happy", "confidence": 0.93}, "age": {"value": 41, ...}, "gender": ...}
  --json              one JSON object per picture per line

${recognitionOptionsHelp}`;

export const identifyCommand: Command = {
  summary: "name the faces in pictures (JSON lines with --json)",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      from: { type: "string" },
      gallery: { type: "string" },
      classifier: { type: "string" },
      ...matcherOptions,
      json: { type: "boolean" },
      attributes: { type: "boolean" },
      help: { type: "boolean" },
      ...recognitionOptions,
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    const listed = values.from === undefined ? [] : await readPathList(values.from);
    if (values.from !== undefined && listed.length === 0) throw new UsageError(`--from ${values.from}: lists no picture`);
    if (positionals.length + listed.length === 0)
      throw new UsageError("expected at least one IMAGE or --from FILE (see facefleet identify --help)");
    if (!values.gallery && !values.classifier) throw new UsageError("--gallery FILE (or --classifier FILE) is required");
    const strictness = parseMatcherOptions(values);
    const settings = recognitionSettingsFromOptions(values);
    const images = await expandImageArguments([...positionals, ...listed]);
    // Directories that hold no picture: the command line was well formed, there is just nothing to do (exit 1).
    if (images.length === 0) throw new FacefleetError(`no pictures in ${[...positionals, ...listed].join(", ")}`);
    const pipeline = await RecognitionPipeline.load(settings);
    const matcher = await loadMatcher(pipeline, { gallery: values.gallery, classifier: values.classifier, ...strictness });
    const attributeModels = values.attributes
      ? await AttributeModels.load(attributeNames, {
          modelDirs: settings.modelDirs,
          executionProvider: settings.executionProvider,
          threads: settings.threads,
        })
      : null;
    let failures = 0;
    for (const image of images) {
      try {
        const { image: picture, faces } = await pipeline.analyse(image);
        const results: (ReturnType<typeof toFaceResult> & { attributes?: FaceAttributes })[] = faces.map((f) =>
          toFaceResult(f, f.embedding ? matcher.match(f.embedding) : null),
        );
        if (attributeModels) {
          // The faces large enough to be named (recognition.minFaceSize), as the agent does.
          const chosen = faces.flatMap((f, i) => (pipeline.isRecognisable(f) ? [i] : []));
          const { attributes } = await attributeModels.estimate(
            picture,
            chosen.map((i) => faces[i] as (typeof faces)[number]),
          );
          chosen.forEach((i, k) => {
            (results[i] as (typeof results)[number]).attributes = attributes[k] as FaceAttributes;
          });
        }
        if (values.json) {
          process.stdout.write(`${JSON.stringify({ image, faces: results.map(({ landmarks: _, ...rest }) => rest) })}\n`);
        } else {
          const names = results.map((r) => {
            const match = r.distance !== undefined ? `distance ${r.distance}` : `confidence ${r.confidence ?? "-"}`;
            const attributes = Object.entries(r.attributes ?? {}).map(([name, a]) => `${name} ${a.value} (${a.confidence})`);
            return `${r.identity} (${[match, ...attributes].join("; ")})`;
          });
          process.stdout.write(`${image}: ${results.length} face(s)${names.length ? `: ${names.join(", ")}` : ""}\n`);
        }
      } catch (error) {
        failures++;
        if (values.json) process.stdout.write(`${JSON.stringify({ image, error: describeError(error) })}\n`);
        else process.stdout.write(`${image}: error: ${describeError(error)}\n`);
      }
    }
    if (failures > 0) process.stderr.write(`facefleet identify: ${failures} of ${images.length} picture(s) could not be read\n`);
    return failures > 0 ? 1 : 0;
  },
};
