import { startAgent } from "../../agent/agent.js";
import { parseCameraShorthand } from "../../agent/capture/camera-shorthand.js";
import { loadAgentConfig } from "../../agent/config.js";
import type { ConfigOverride, FieldSource } from "../../core/config-loader.js";
import { UsageError } from "../../core/errors.js";
import { parseBrokerList } from "../../kafka/connection-config.js";
import type { Command } from "../main.js";
import { parseOptions, requireString } from "../parse-options.js";

const help = `usage: facefleet agent --config FILE [--brokers H:P,...] [--kafka-credentials FILE] [--camera ID=SOURCE|SOURCE]...

Runs an edge agent from its config file (YAML or JSON; see agent/config.ts, agent/README.md and the
JSON Schema config/schema/agent.schema.json). The options below override the file.
The capture role (roles.capture) sends each listed camera's frames to facefleet.frames.
The inference role consumes facefleet.frames in the consumer group worker.groupId and produces
facefleet.detections, facefleet.annotated (worker.annotated), facefleet.events and facefleet.dlq.
The gallery is read from the facefleet.gallery topic and followed while running.

SIGTERM / SIGINT: stop capturing and flush the queued frames, then stop fetching, finish the
frame in flight, commit, leave the group, exit 0.
A second signal exits at once (the frames in flight are then processed again by the next owner).

  --config FILE         the agent's config file (.yaml / .yml: YAML, else JSON)
  --brokers H:P,...     kafka.brokers
  --kafka-credentials FILE
                        kafka.credentials: TLS CA and SASL user of a secure broker, e.g. the
                        credentials.json of 'facefleet kafka up --secure' (kafka/README.md)
  --camera ID=SOURCE    a camera of roles.capture (repeat for more; replaces the file's list); a bare
                        SOURCE gets the id <agentId>-<last part of SOURCE>, e.g. /dev/video0 -> <id>-video0
  -h, --help            this text`;

export const agentCommand: Command = {
  summary: "run an edge agent (capture and/or inference) from a config file",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      config: { type: "string" },
      brokers: { type: "string" },
      "kafka-credentials": { type: "string" },
      camera: { type: "string", multiple: true },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}' (see facefleet agent --help)`);
    // The command line's overrides; an error about a field one of them set names the option.
    const overrides: ConfigOverride[] = [];
    const sources: FieldSource[] = [];
    if (values.brokers !== undefined) {
      overrides.push({ path: ["kafka", "brokers"], value: parseBrokerList(values.brokers) });
      sources.push(["kafka.brokers", "--brokers"]);
    }
    const credentials = values["kafka-credentials"];
    if (credentials !== undefined) {
      overrides.push({ path: ["kafka", "credentials"], value: credentials });
      sources.push(["kafka.credentials", "--kafka-credentials"]);
    }
    const cameras = values.camera;
    if (cameras !== undefined) {
      overrides.push({
        path: ["roles", "capture"],
        derive: (file) => cameras.map((spec) => parseCameraShorthand(spec, String(file.agentId ?? "agent"))),
      });
      sources.push(["roles.capture", "--camera"]);
    }
    const config = await loadAgentConfig(requireString(values, "config"), overrides, sources);
    const log = (line: string) => process.stderr.write(`agent ${config.agentId}: ${line}\n`);
    const agent = await startAgent(config, { log });
    const roles = [
      config.roles.capture.length > 0 ? `capture of ${config.roles.capture.map((c) => c.camera).join(", ")}` : "",
      config.roles.inference ? `inference in group ${config.worker.groupId}` : "",
    ].filter(Boolean);
    log(`running (${roles.join("; ")}; bootstrap ${config.kafka.brokers.join(",")})`);

    let signalled: NodeJS.Signals | undefined;
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        log(`${signal} again: exiting without waiting`);
        process.exit(130);
      }
      signalled = signal;
      log(
        `${signal}: stopping (${[
          config.roles.capture.length > 0 ? "flushing captured frames" : "",
          config.roles.inference ? "finishing the frame in flight, committing, leaving the group" : "",
        ]
          .filter(Boolean)
          .join(", then ")})`,
      );
      void agent.stop();
    };
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    try {
      await agent.done;
      log(`stopped: ${agent.summary()}`);
      return 0;
    } finally {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      await agent.stop().catch(() => undefined);
    }
  },
};
