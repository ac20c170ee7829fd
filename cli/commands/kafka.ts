import { statSync } from "node:fs";
import { parseArgs } from "node:util";
import { UsageError } from "../../core/errors.js";
import { type KafkaOptionsInput, kafkaDown, kafkaStatus, kafkaUp, type SecureInfo } from "../../kafka/local/local-broker.js";
import { DEFAULT_DATA_DIR, DEFAULT_JARS_DIR } from "../../kafka/local/options.js";
import type { Command } from "../main.js";

const HELP = `usage: facefleet kafka up|down|status [options]

A single-node Apache Kafka (KRaft) for a laptop, the tests and the demo, run with Java from
Kafka's own jars (resolved from Maven Central with mvn on the first 'up').

  up       start the broker (detached) and wait until it answers; reports a running one instead
  down     stop it (SIGTERM, then SIGKILL after 30 s); exit 0 if none was running
  status   running/stopped, pid, bootstrap address (and, for a secure broker, its credentials file);
           exit 0 if running, 3 if not

options:
  --data-dir DIR          broker state, log and pid file (default ${DEFAULT_DATA_DIR})
  --port N                broker port on 127.0.0.1 (default 9092)
  --controller-port N     KRaft controller port (default 9093)
  --heap SIZE             JVM heap, e.g. 512m or 1g (default 512m)
  --secure                up: a SASL_SSL listener (SCRAM-SHA-512 over TLS) with ACLs; the first 'up --secure'
                          of a data dir makes a CA and broker certificate (DIR/tls/) and two users, and writes
                          the client user's credentials to DIR/credentials.json (mode 0600) for
                          --kafka-credentials / kafka.credentials. A data dir keeps its mode: --secure on a
                          plaintext one (or none on a secure one) is refused (kafka/README.md)
  --jars-dir DIR          Kafka's jars (default $FACEFLEET_KAFKA_JARS or ${DEFAULT_JARS_DIR})
  -h, --help              this text
`;

/** Exit code of `status` when no broker runs (0 means running). */
export const STATUS_NOT_RUNNING = 3;

function parsePort(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^[0-9]+$/.test(value)) throw new UsageError(`${flag} must be a port number, got '${value}'`);
  const port = Number(value);
  if (port < 1 || port > 65535) throw new UsageError(`${flag} must be between 1 and 65535, got ${port}`);
  return port;
}

function parse(args: string[]): { action: string | undefined; help: boolean; options: KafkaOptionsInput } {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(args);
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1) throw new UsageError(`one action expected (up, down or status), got '${positionals.join(" ")}'`);
  const options: KafkaOptionsInput = {};
  if (values["data-dir"] !== undefined) {
    // A file in the way would fail later as a raw ENOTDIR on a path inside it.
    if (statSync(values["data-dir"], { throwIfNoEntry: false })?.isDirectory() === false)
      throw new UsageError(`--data-dir ${values["data-dir"]} is not a directory`);
    options.dataDir = values["data-dir"];
  }
  const jarsDir = values["jars-dir"] ?? process.env.FACEFLEET_KAFKA_JARS;
  if (jarsDir) options.jarsDir = jarsDir;
  const port = parsePort(values.port, "--port");
  if (port !== undefined) options.port = port;
  const controllerPort = parsePort(values["controller-port"], "--controller-port");
  if (controllerPort !== undefined) options.controllerPort = controllerPort;
  if (values.heap !== undefined) options.heap = values.heap;
  if (values.secure === true) options.secure = true;
  return { action: positionals[0], help: values.help === true, options };
}

function parseOptions(args: string[]) {
  return parseArgs({
    args,
    allowPositionals: true,
    strict: true,
    options: {
      "data-dir": { type: "string" },
      "jars-dir": { type: "string" },
      port: { type: "string" },
      "controller-port": { type: "string" },
      heap: { type: "string" },
      secure: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
}

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** The line about a secure broker's listener and where its client credentials are (no secret in it). */
function secureLine(secure: SecureInfo): string {
  return `${secure.protocol} (${secure.mechanism}, ACLs); client credentials ${secure.credentialsFile} (--kafka-credentials), CA ${secure.caFile}`;
}

export const kafkaCommand: Command = {
  summary: "local single-node Kafka broker: up | down | status",
  async run(args: string[]): Promise<number> {
    const { action, help, options } = parse(args);
    if (help) {
      process.stdout.write(HELP);
      return 0;
    }
    switch (action) {
      case "up": {
        const r = await kafkaUp(options, say);
        if (r.state === "already-running") {
          say(`Kafka is already running (pid ${r.pid}); bootstrap ${r.bootstrap}; log ${r.logFile}`);
        } else {
          say(`Kafka ${r.version} started (pid ${r.pid}) in ${(r.startupMs / 1000).toFixed(1)}s; log ${r.logFile}`);
          say(`bootstrap ${r.bootstrap}`);
        }
        if (r.secure) say(secureLine(r.secure));
        return 0;
      }
      case "down": {
        const r = await kafkaDown(options, say);
        if (r.state === "not-running") say("Kafka is not running; nothing to stop");
        else say(`Kafka (pid ${r.pid}) stopped${r.forced ? " (killed after the stop timeout)" : ""}`);
        return 0;
      }
      case "status": {
        const r = await kafkaStatus(options, say);
        if (r.state === "stopped") {
          say(`stopped (bootstrap would be ${r.bootstrap})`);
          if (r.secure) say(secureLine(r.secure));
          return STATUS_NOT_RUNNING;
        }
        say(`running pid ${r.pid} bootstrap ${r.bootstrap}${r.version ? ` version ${r.version}` : ""} since ${r.startedAt}`);
        if (r.secure) say(secureLine(r.secure));
        return 0;
      }
      case undefined:
        throw new UsageError("missing action: up, down or status (see facefleet kafka --help)");
      default:
        throw new UsageError(`unknown action '${action}': expected up, down or status`);
    }
  },
};
