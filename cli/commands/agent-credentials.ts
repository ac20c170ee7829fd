import { loadCoordinatorConfig, parseCoordinatorConfig } from "../../coordinator/config.js";
import {
  agentCredentialsFile,
  issueAgentCredential,
  readAgentCredentials,
  revokeAgentCredential,
} from "../../coordinator/mqtt/agent-credentials.js";
import { FacefleetError, UsageError } from "../../core/errors.js";
import type { Command } from "../main.js";
import { parseOptions } from "../parse-options.js";

const help = `usage: facefleet agent-credentials add AGENT_ID [--password-stdin] (--config FILE | --state-dir DIR)
       facefleet agent-credentials remove AGENT_ID (--config FILE | --state-dir DIR)
       facefleet agent-credentials list [--json] (--config FILE | --state-dir DIR)

Per-agent MQTT accounts of the coordinator's embedded broker (coordinator/mqtt/README.md): the username is the
agent id, the password is kept only as a salted scrypt hash in <stateDir>/mqtt-agents.json (mode 600). An agent
logged in with its own account may publish only its own status, health and command acks and subscribe only to
its own commands, the plan and live-view. The running broker picks up a change within a few seconds: no restart;
a removed agent's open connection is closed.

  add      issue (or rotate) AGENT_ID's credential; prints the password once on stdout (put it in the agent's
           config: "mqtt": {"username": "AGENT_ID", "password": "..."}); --password-stdin takes it from stdin
           instead (at least 12 characters; what Ansible uses)
  remove   revoke AGENT_ID's credential
  list     the agents that have a credential, and when it was issued

options:
  --config FILE      the coordinator's config (its stateDir, or mqtt.embedded.stateDir)
  --state-dir DIR    the coordinator's state directory directly
  --password-stdin   read the password from stdin (add)
  --json             list as JSON
  -h, --help         this text`;

async function stateDirOf(values: { config?: string; "state-dir"?: string }): Promise<string> {
  if (values.config !== undefined && values["state-dir"] !== undefined) throw new UsageError("give --config or --state-dir, not both");
  if (values["state-dir"] !== undefined) return values["state-dir"];
  const config = values.config !== undefined ? await loadCoordinatorConfig(values.config) : parseCoordinatorConfig({}, "defaults");
  if (!("embedded" in config.mqtt))
    throw new FacefleetError("the coordinator uses an external MQTT broker (mqtt.external): its accounts are the broker's own");
  return config.mqtt.embedded.stateDir ?? config.stateDir;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString("utf8")
    .replace(/\r?\n$/, "");
}

export const agentCredentialsCommand: Command = {
  summary: "issue, revoke or list per-agent MQTT credentials of the embedded broker",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      config: { type: "string" },
      "state-dir": { type: "string" },
      "password-stdin": { type: "boolean" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    const [action, agentId, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}' (see facefleet agent-credentials --help)`);
    if (action === "list") {
      if (agentId !== undefined) throw new UsageError(`unexpected argument '${agentId}'`);
      const agents = await readAgentCredentials(agentCredentialsFile(await stateDirOf(values)));
      const rows = Object.entries(agents).map(([id, entry]) => ({ agentId: id, createdAt: entry.createdAt }));
      if (values.json) process.stdout.write(`${JSON.stringify({ agents: rows })}\n`);
      else for (const row of rows) process.stdout.write(`${row.agentId}\t${row.createdAt}\n`);
      return 0;
    }
    if (action !== "add" && action !== "remove")
      throw new UsageError(`${action === undefined ? "name an action" : `unknown action '${action}'`}: add, remove or list`);
    if (agentId === undefined) throw new UsageError(`agent-credentials ${action}: name the agent id`);
    const stateDir = await stateDirOf(values);
    if (action === "add") {
      const given = values["password-stdin"] ? await readStdin() : undefined;
      const password = await issueAgentCredential(stateDir, agentId, given);
      if (given === undefined) process.stdout.write(`${password}\n`);
      process.stderr.write(
        `agent-credentials: ${agentId} can log in to the embedded broker as '${agentId}' (${agentCredentialsFile(stateDir)})\n`,
      );
      return 0;
    }
    if (!(await revokeAgentCredential(stateDir, agentId))) throw new FacefleetError(`${agentId} has no credential`);
    process.stderr.write(`agent-credentials: ${agentId} revoked\n`);
    return 0;
  },
};
