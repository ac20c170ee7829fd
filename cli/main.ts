import { readFileSync } from "node:fs";
import { describeError, FacefleetError } from "../core/errors.js";
import { exitQuietlyOnClosedStdout } from "./closed-pipe.js";

/** A CLI command: parses its own arguments and returns the process exit code. */
export type Command = { summary: string; run(args: string[]): Promise<number> };

const commands: Record<string, () => Promise<Command>> = {
  enroll: async () => (await import("./commands/enroll.js")).enrollCommand,
  train: async () => (await import("./commands/train.js")).trainCommand,
  identify: async () => (await import("./commands/identify.js")).identifyCommand,
  annotate: async () => (await import("./commands/annotate.js")).annotateCommand,
  models: async () => (await import("./commands/models.js")).modelsCommand,
  doctor: async () => (await import("./commands/doctor.js")).doctorCommand,
  kafka: async () => (await import("./commands/kafka.js")).kafkaCommand,
  topics: async () => (await import("./commands/topics.js")).topicsCommand,
  produce: async () => (await import("./commands/produce.js")).produceCommand,
  agent: async () => (await import("./commands/agent.js")).agentCommand,
  coordinator: async () => (await import("./commands/coordinator.js")).coordinatorCommand,
  config: async () => (await import("./commands/config.js")).configCommand,
  gallery: async () => (await import("./commands/gallery.js")).galleryCommand,
  tail: async () => (await import("./commands/tail.js")).tailCommand,
  restream: async () => (await import("./commands/restream.js")).restreamCommand,
  demo: async () => (await import("./commands/demo.js")).demoCommand,
  "api-tokens": async () => (await import("./commands/api-tokens.js")).apiTokensCommand,
  "agent-credentials": async () => (await import("./commands/agent-credentials.js")).agentCredentialsCommand,
  keys: async () => (await import("./commands/keys.js")).keysCommand,
};

/** Commands added by other parts register here (kept in one table so `--help` lists them all). */
export function registerCommand(name: string, load: () => Promise<Command>): void {
  commands[name] = load;
}

async function printHelp(): Promise<void> {
  const lines = ["usage: facefleet <command> [options]", "", "commands:"];
  for (const [name, load] of Object.entries(commands)) {
    const command = await load();
    lines.push(`  ${name.padEnd(12)} ${command.summary}`);
  }
  lines.push("", "Run `facefleet <command> --help` for the options of one command; `facefleet --version` prints the version.");
  process.stdout.write(`${lines.join("\n")}\n`);
}

/** The package's version, from its package.json (dist/cli/main.js -> ../../package.json). */
function packageVersion(): string {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return typeof manifest.version === "string" ? manifest.version : "unknown";
}

export async function main(argv: string[]): Promise<number> {
  exitQuietlyOnClosedStdout();
  const [name, ...rest] = argv;
  if (name === "--version" || name === "-V" || name === "version") {
    process.stdout.write(`facefleet ${packageVersion()}\n`);
    return 0;
  }
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    await printHelp();
    return name === undefined ? 2 : 0;
  }
  const load = commands[name];
  if (load === undefined) {
    process.stderr.write(`facefleet: unknown command '${name}' (see facefleet --help)\n`);
    return 2;
  }
  try {
    const command = await load();
    return await command.run(rest);
  } catch (error) {
    process.stderr.write(`facefleet ${name}: ${describeError(error)}\n`);
    if (process.env.FACEFLEET_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return error instanceof FacefleetError ? error.exitCode : 1;
  }
}
