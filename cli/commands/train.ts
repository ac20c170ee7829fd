import { FacefleetError, UsageError } from "../../core/errors.js";
import {
  ClassifierMatcher,
  defaultTrainingOptions,
  type LabelledEmbedding,
  trainLogisticRegression,
  writeClassifier,
} from "../../recognition/classifier.js";
import { embedEnrollmentSources, listEnrollmentSources } from "../../recognition/enrollment.js";
import { holdOutLastPerIdentity } from "../../recognition/holdout-split.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import type { Command } from "../main.js";
import { parseNumberOption, parseOptions, requireString } from "../parse-options.js";
import { createProgress } from "../progress.js";
import { recognitionOptions, recognitionOptionsHelp, recognitionSettingsFromOptions } from "../recognition-options.js";

const help = `usage: facefleet train DIR --classifier FILE [--l2 L] [--iterations N]

Trains a multinomial logistic regression on the embeddings of DIR/<identity>/*.jpg (the layout of enroll).
Prints the accuracy on held-out pictures (the last picture of each identity with two or more), then
trains on all pictures and writes FILE atomically.

  --classifier FILE   output
  --l2 L              L2 regularisation (default 0.001)
  --iterations N      gradient steps (default 200)

${recognitionOptionsHelp}`;

export const trainCommand: Command = {
  summary: "train a logistic-regression classifier on enrolled faces",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      classifier: { type: "string" },
      l2: { type: "string" },
      iterations: { type: "string" },
      help: { type: "boolean" },
      ...recognitionOptions,
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    if (positionals.length !== 1) throw new UsageError("expected exactly one DIR (see facefleet train --help)");
    const output = requireString(values, "classifier");
    const l2 = parseNumberOption("l2", values.l2, 0, 10) ?? defaultTrainingOptions.l2;
    const iterations = parseNumberOption("iterations", values.iterations, 1, 100_000) ?? defaultTrainingOptions.iterations;
    const sources = await listEnrollmentSources(positionals[0] as string);
    const pipeline = await RecognitionPipeline.load(recognitionSettingsFromOptions(values));
    const result = await embedEnrollmentSources(pipeline, sources, createProgress("embed"));
    for (const n of result.ignored) process.stdout.write(`used the subject of ${n.path}: ${n.note}\n`);
    for (const r of result.rejected) process.stdout.write(`rejected ${r.path}: ${r.reason}\n`);
    const samples: LabelledEmbedding[] = result.identities.flatMap((i) => i.embeddings.map((e) => ({ label: i.name, vector: e.vector })));
    if (result.identities.length < 2) {
      const first = result.rejected[0];
      const rejected = first
        ? `; ${result.rejected.length} picture(s) rejected (${first.path}: ${first.reason}${result.rejected.length > 1 ? ", the others listed above" : ""})`
        : "";
      throw new FacefleetError(
        `a classifier needs at least 2 identities with usable pictures, found ${result.identities.length} in ${positionals[0]}${rejected}; ${output} was not written`,
      );
    }
    const options = { ...defaultTrainingOptions, l2, iterations: Math.round(iterations) };
    const { train, heldOut } = holdOutLastPerIdentity(samples);
    const trainedClasses = new Set(train.map((s) => s.label));
    if (heldOut.length > 0 && trainedClasses.size >= 2) {
      const matcher = new ClassifierMatcher(trainLogisticRegression(train, pipeline.recognizer, options), 0);
      const correct = heldOut.filter((s) => matcher.match(s.vector).identity === s.label).length;
      process.stdout.write(`held-out accuracy: ${correct}/${heldOut.length} = ${((100 * correct) / heldOut.length).toFixed(1)}%\n`);
    } else {
      process.stdout.write("held-out accuracy: n/a (no identity has two usable pictures)\n");
    }
    const model = trainLogisticRegression(samples, pipeline.recognizer, options);
    await writeClassifier(output, model);
    process.stdout.write(`trained on ${samples.length} picture(s) of ${model.classes.length} identities; wrote ${output}\n`);
    return 0;
  },
};
