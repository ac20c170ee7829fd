import { delimiter } from "node:path";
import type { ParseArgsConfig } from "node:util";
import { UsageError } from "../core/errors.js";
import { formatZodIssue } from "../core/format-issue.js";
import { type RecognitionSettingsInput, recognitionSettingsSchema } from "../recognition/recognition-settings.js";

/** Options every command that runs the models accepts. */
export const recognitionOptions = {
  models: { type: "string" },
  precision: { type: "string" },
  provider: { type: "string" },
  threads: { type: "string" },
  detector: { type: "string" },
  recognizer: { type: "string" },
  "detect-size": { type: "string" },
} as const satisfies ParseArgsConfig["options"];

export const recognitionOptionsHelp = `model options:
  --models DIR[:DIR]   model directories, first hit wins (default: $FACEFLEET_MODELS, else the checkout's
                       .facefleet/models and ../shared/models where they exist, then ~/.local/share/facefleet/models)
  --precision P        auto | fp32 | int8 (auto: int8 on ARM CPUs, fp32 elsewhere)
  --provider EP        auto | cpu | cuda | tensorrt | xnnpack
  --threads N          threads per model (0 = one per core)
  --detector ID        detector model id from models/manifest.json
  --recognizer ID      recognizer model id from models/manifest.json
  --detect-size PX     longest side a picture is shrunk to for detection (default 640)`;

function integer(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number, got '${value}'`);
  return Number(value);
}

/** The recognition settings given as command-line options (absent ones are left out). */
export function recognitionSettingsFromOptions(values: Record<string, unknown>): RecognitionSettingsInput {
  const str = (key: string) => (typeof values[key] === "string" ? (values[key] as string) : undefined);
  const input = {
    modelDirs: str("models")?.split(delimiter).filter(Boolean),
    precision: str("precision"),
    executionProvider: str("provider"),
    threads: integer("threads", str("threads")),
    detector: str("detector"),
    recognizer: str("recognizer"),
    detectMaxSide: integer("detect-size", str("detect-size")),
  };
  const parsed = recognitionSettingsSchema.safeParse(input);
  if (!parsed.success) {
    const optionOf: Record<string, string> = { executionProvider: "provider", detectMaxSide: "detect-size", modelDirs: "models" };
    const field = String(parsed.error.issues[0]?.path[0] ?? "");
    throw new UsageError(`--${optionOf[field] ?? field}: ${formatZodIssue(parsed.error).split(": ").slice(1).join(": ")}`);
  }
  // Only the options given: spread over a config file's settings, an absent option must not erase them.
  return Object.fromEntries(Object.entries(input).filter(([, value]) => value !== undefined)) as RecognitionSettingsInput;
}
