import { UsageError } from "../core/errors.js";
import { MAX_FALSE_ACCEPT_RATE } from "../recognition/gallery-threshold.js";
import { parseNumberOption } from "./parse-options.js";

/** The options of identify and annotate that set how strict naming is. */
export const matcherOptions = {
  threshold: { type: "string" },
  "false-accept": { type: "string" },
} as const;

export const matcherOptionsHelp = `  --threshold T       distance (0..2) or confidence (0..1); default: for --gallery, the distance that fits the
                      gallery's size (see --false-accept); for --classifier, the model's calibrated confidence
  --false-accept RATE the chance that a stranger is given some name, from which the gallery's distance
                      threshold is derived (0 < RATE <= ${MAX_FALSE_ACCEPT_RATE}; default 0.01); not with --threshold or --classifier`;

/** --threshold and --false-accept, checked against each other and against --classifier. */
export function parseMatcherOptions(values: { threshold?: string; "false-accept"?: string; classifier?: string }): {
  threshold?: number;
  falseAcceptRate?: number;
} {
  const threshold = parseNumberOption("threshold", values.threshold, 0, values.classifier ? 1 : 2);
  const rate = values["false-accept"];
  if (rate === undefined) return threshold === undefined ? {} : { threshold };
  if (values.classifier) throw new UsageError("--false-accept sets the gallery's distance threshold; it does not apply to --classifier");
  if (threshold !== undefined) throw new UsageError("give --threshold or --false-accept, not both");
  const falseAcceptRate = parseNumberOption("false-accept", rate, 0, MAX_FALSE_ACCEPT_RATE) as number;
  if (falseAcceptRate <= 0) throw new UsageError(`--false-accept must be above 0, got '${rate}'`);
  return { falseAcceptRate };
}
