import { loadCoordinatorConfig, parseCoordinatorConfig } from "../../coordinator/config.js";
import { startCoordinator } from "../../coordinator/coordinator.js";
import { type ConfigOverride, type FieldSource, loadConfig } from "../../core/config-loader.js";
import { UsageError } from "../../core/errors.js";
import { redactUrl } from "../../core/redact-url.js";
import type { Command } from "../main.js";
import { parseOptions } from "../parse-options.js";

const help = `usage: facefleet coordinator [--config FILE] [--kafka-credentials FILE]

Runs the coordinator (config: JSON, see coordinator/README.md; without --config every default):
  - an MQTT broker for the agents (embedded, with a username/password generated on first run and
    printed once), or an external one by URL (mqtt.external.url);
  - the registry of agents from their MQTT status and health;
  - the partition planner: publishes the plan on the compacted facefleet.plan topic and retained on
    facefleet/plan, at once when agents join, die or are drained, and for load every planner.intervalMs;
  - the REST + WebSocket API (a bearer token, generated on first run and printed once) and the dashboard.

Agents keep the last plan while the coordinator is down; a restarted coordinator reads the plan back
and changes nothing that doesn't need changing.
SIGTERM / SIGINT: stop planning, close the API and the broker (retained messages are saved), exit 0.

  --config FILE   the coordinator's config file
  --kafka-credentials FILE
                  kafka.credentials: TLS CA and SASL user of a secure broker, e.g. the
                  credentials.json of 'facefleet kafka up --secure' (kafka/README.md)
  -h, --help      this text`;

export const coordinatorCommand: Command = {
  summary: "run the coordinator: MQTT broker, agent registry, partition planner, API and dashboard",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      config: { type: "string" },
      "kafka-credentials": { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (see facefleet coordinator --help)`);
    const path = values.config;
    if (path !== undefined && typeof path !== "string") throw new UsageError("--config needs a file");
    const credentials = values["kafka-credentials"];
    const overrides: ConfigOverride[] = credentials !== undefined ? [{ path: ["kafka", "credentials"], value: credentials }] : [];
    const sources: FieldSource[] = [["kafka.credentials", "--kafka-credentials"]];
    const config = path
      ? await loadCoordinatorConfig(path, overrides, sources)
      : loadConfig({ base: {}, label: "defaults", overrides, sources, parse: parseCoordinatorConfig });
    const log = (line: string) => process.stderr.write(`coordinator: ${line}\n`);
    const coordinator = await startCoordinator(config, { log });
    log(`running: API ${coordinator.apiUrl}/api, MQTT ${redactUrl(coordinator.mqtt.url)}, Kafka ${config.kafka.brokers.join(",")}`);

    await new Promise<void>((resolve) => {
      const onSignal = (signal: NodeJS.Signals) => {
        log(`${signal}: stopping`);
        process.off("SIGTERM", onSignal);
        process.off("SIGINT", onSignal);
        resolve();
      };
      process.on("SIGTERM", onSignal);
      process.on("SIGINT", onSignal);
    });
    await coordinator.stop();
    log("stopped");
    return 0;
  },
};
