import { arch, cpus, platform, release, totalmem } from "node:os";
import { isJetson, providerCandidates } from "../../models/execution-provider.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { describeError } from "../errors.js";
import type { Command } from "../main.js";
import { parseOptions } from "../parse-options.js";
import { recognitionOptions, recognitionSettingsFromOptions } from "../recognition-options.js";

export const doctorCommand: Command = {
  summary: "report platform, execution providers and the models this device would run",
  async run(args) {
    const { values } = parseOptions(args, { json: { type: "boolean" }, ...recognitionOptions });
    const settings = recognitionSettingsFromOptions(values);
    const report: Record<string, unknown> = {
      platform: `${platform()} ${release()} ${arch()}`,
      node: process.version,
      cpu: `${cpus()[0]?.model ?? "unknown"} x${cpus().length}`,
      memoryMiB: Math.round(totalmem() / 2 ** 20),
      jetson: isJetson(),
      providersToTry: providerCandidates(settings.executionProvider ?? "auto"),
    };
    let ok = true;
    try {
      const pipeline = await RecognitionPipeline.load(settings);
      report.models = pipeline.describe();
    } catch (error) {
      ok = false;
      report.models = `cannot load: ${describeError(error)}`;
    }
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else
      for (const [key, value] of Object.entries(report))
        process.stdout.write(`${key.padEnd(15)} ${typeof value === "string" ? value : JSON.stringify(value)}\n`);
    return ok ? 0 : 1;
  },
};
