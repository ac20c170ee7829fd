import { loadAgentConfig } from "../../agent/config.js";
import { type ConfigSchemaFile, configJsonSchemaText } from "../../config/json-schema.js";
import { loadCoordinatorConfig } from "../../coordinator/config.js";
import { UsageError } from "../../core/errors.js";
import type { Command } from "../main.js";
import { parseOptions } from "../parse-options.js";

const help = `usage: facefleet config check agent|coordinator FILE
       facefleet config schema agent|coordinator

  check    validates FILE (YAML or JSON) as the agent or the coordinator reads it (the same loader and
           zod schema): exit 0 and one line, or exit 1 and one line naming the field. The file's values
           are never printed (it may hold passwords). The Ansible roles and install.sh run this before
           a config is put in place.
  schema   prints the JSON Schema of that config (config/schema/*.schema.json) for an editor or a
           validator outside Node

  -h, --help   this text`;

const kinds = ["agent", "coordinator"] as const;
type Kind = (typeof kinds)[number];

function kindOf(value: string | undefined): Kind {
  if (value === "agent" || value === "coordinator") return value;
  throw new UsageError(value === undefined ? "name the config: agent or coordinator" : `unknown config '${value}' (agent or coordinator)`);
}

export const configCommand: Command = {
  summary: "check an agent or coordinator config file, or print its JSON Schema",
  async run(args) {
    const { values, positionals } = parseOptions(args, { help: { type: "boolean", short: "h" } });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    const [action, kindName, file, ...rest] = positionals;
    if (action === "schema") {
      const kind = kindOf(kindName);
      if (file !== undefined) throw new UsageError(`unexpected argument '${file}' (see facefleet config --help)`);
      process.stdout.write(configJsonSchemaText(`${kind}.schema.json` as ConfigSchemaFile));
      return 0;
    }
    if (action === "check") {
      const kind = kindOf(kindName);
      if (file === undefined) throw new UsageError("config check: name the FILE to check");
      if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}' (see facefleet config --help)`);
      if (kind === "agent") {
        const config = await loadAgentConfig(file);
        process.stdout.write(`${file}: a valid agent config (agent ${config.agentId})\n`);
      } else {
        await loadCoordinatorConfig(file);
        process.stdout.write(`${file}: a valid coordinator config\n`);
      }
      return 0;
    }
    throw new UsageError(action === undefined ? "expected check or schema (see facefleet config --help)" : `unknown action '${action}'`);
  },
};
