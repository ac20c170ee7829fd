import { arch, cpus, platform, release, totalmem } from "node:os";
import { loadAgentConfig } from "../../agent/config.js";
import { listCameras, listTemperatureSensors, mqttReachable, tcpReachable } from "../../agent/device/device-checks.js";
import { acceleratorOf } from "../../agent/health/health-builder.js";
import { describeError } from "../../core/errors.js";
import { isJetson, providerCandidates } from "../../models/execution-provider.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import type { Command } from "../main.js";
import { parseOptions } from "../parse-options.js";
import { recognitionOptions, recognitionSettingsFromOptions } from "../recognition-options.js";

const help = `usage: facefleet doctor [--config AGENT.json] [--json] [model options]

Reports what this device has and what it would run: platform, CPU and memory, whether it is a Jetson,
the execution providers tried and the one each model loads on (with why an accelerator was skipped),
the accelerator, the cameras (/dev/video* and their names), the temperature sensors, and — with an
agent's config — whether the coordinator's Kafka brokers and MQTT broker answer (with its credentials).
Exit 1 when the models cannot load or, with --config, when Kafka or MQTT cannot be reached.

  --config FILE   an agent config: its recognition settings, Kafka brokers and mqtt section are checked
  --json          one JSON object instead of lines`;

export const doctorCommand: Command = {
  summary: "report the device: platform, cameras, sensors, execution providers, models, coordinator reachable",
  async run(args) {
    const { values } = parseOptions(args, {
      json: { type: "boolean" },
      config: { type: "string" },
      help: { type: "boolean" },
      ...recognitionOptions,
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    const agentConfig = typeof values.config === "string" ? await loadAgentConfig(values.config) : undefined;
    const settings = agentConfig
      ? { ...agentConfig.recognition, ...recognitionSettingsFromOptions(values) }
      : recognitionSettingsFromOptions(values);
    const jetson = isJetson();
    const report: Record<string, unknown> = {
      platform: `${platform()} ${release()} ${arch()}`,
      node: process.version,
      cpu: `${cpus()[0]?.model ?? "unknown"} x${cpus().length}`,
      memoryMiB: Math.round(totalmem() / 2 ** 20),
      jetson,
      providersToTry: providerCandidates(settings.executionProvider ?? "auto"),
    };
    let ok = true;
    try {
      const pipeline = await RecognitionPipeline.load(settings);
      report.models = pipeline.describe();
      report.accelerator = acceleratorOf(pipeline.describe(), jetson) ?? "none (CPU)";
    } catch (error) {
      ok = false;
      report.models = `cannot load: ${describeError(error)}`;
    }
    report.cameras = await listCameras();
    report.temperatureSensors = await listTemperatureSensors();
    if (agentConfig) {
      const kafka = await Promise.all(agentConfig.kafka.brokers.map((broker) => tcpReachable(broker)));
      const mqtt = agentConfig.mqtt
        ? await mqttReachable(agentConfig.mqtt)
        : { target: "(no mqtt section)", reachable: false, detail: "the agent reports no health" };
      report.coordinator = { kafka, mqtt };
      if (!kafka.every((k) => k.reachable) || !mqtt.reachable) ok = false;
    }
    if (values.json) process.stdout.write(`${JSON.stringify(report)}\n`);
    else
      for (const [key, value] of Object.entries(report))
        process.stdout.write(`${key.padEnd(18)} ${typeof value === "string" ? value : JSON.stringify(value)}\n`);
    return ok ? 0 : 1;
  },
};
