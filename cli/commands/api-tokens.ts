import { loadCoordinatorConfig, parseCoordinatorConfig } from "../../coordinator/config.js";
import {
  type ApiRole,
  apiRoles,
  apiTokensFile,
  createApiToken,
  parseDuration,
  readApiTokens,
  revokeApiToken,
} from "../../coordinator/state/api-tokens.js";
import { FacefleetError, UsageError } from "../../core/errors.js";
import type { Command } from "../main.js";
import { parseOptions } from "../parse-options.js";

const help = `usage: facefleet api-tokens create NAME --role viewer|operator [--expires 30d] (--config FILE | --state-dir DIR)
       facefleet api-tokens revoke NAME|ID (--config FILE | --state-dir DIR)
       facefleet api-tokens list [--json] (--config FILE | --state-dir DIR)

Named tokens for the coordinator's API and dashboard (coordinator/api/README.md, "Roles"): a viewer reads
everything; an operator also moves, pins, drains, enrolls, corrects and deletes. Only a SHA-256 hash of each token
is kept, in <stateDir>/api-tokens.json (mode 600); the running coordinator picks up a change within a second:
a revoked or expired token, and every dashboard session logged in with it, is refused from then on. The
coordinator's single token (http.token or <stateDir>/api-token) keeps working as an operator's.

  create   a new token; printed once on stdout (use it as Authorization: Bearer <token>, or log in with it)
  revoke   revoke the live token of that name (or id)
  list     name, id, role, created, expires, revoked

options:
  --role ROLE        viewer or operator (create)
  --expires D        expire after D: 30d, 12h, 45m (create; default: never)
  --config FILE      the coordinator's config (its stateDir)
  --state-dir DIR    the coordinator's state directory directly
  --json             list as JSON
  -h, --help         this text`;

async function stateDirOf(values: { config?: string; "state-dir"?: string }): Promise<string> {
  if (values.config !== undefined && values["state-dir"] !== undefined) throw new UsageError("give --config or --state-dir, not both");
  if (values["state-dir"] !== undefined) return values["state-dir"];
  const config = values.config !== undefined ? await loadCoordinatorConfig(values.config) : parseCoordinatorConfig({}, "defaults");
  return config.stateDir;
}

export const apiTokensCommand: Command = {
  summary: "create, revoke or list named API tokens (viewer or operator, optional expiry)",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      role: { type: "string" },
      expires: { type: "string" },
      config: { type: "string" },
      "state-dir": { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    const [action, name, ...rest] = positionals;
    if (rest.length > 0) throw new UsageError(`unexpected argument '${rest[0]}' (see facefleet api-tokens --help)`);
    if (action === "list") {
      if (name !== undefined) throw new UsageError(`unexpected argument '${name}'`);
      const tokens = (await readApiTokens(apiTokensFile(await stateDirOf(values)))).map(({ hash: _hash, ...shown }) => shown);
      if (values.json) process.stdout.write(`${JSON.stringify({ tokens })}\n`);
      else
        for (const t of tokens)
          process.stdout.write(
            `${t.name}\t${t.id}\t${t.role}\tcreated ${t.createdAt}\t${t.expiresAt ? `expires ${t.expiresAt}` : "no expiry"}${t.revokedAt ? `\trevoked ${t.revokedAt}` : ""}\n`,
          );
      return 0;
    }
    if (action !== "create" && action !== "revoke")
      throw new UsageError(`${action === undefined ? "name an action" : `unknown action '${action}'`}: create, revoke or list`);
    if (name === undefined) throw new UsageError(`api-tokens ${action}: name the token`);
    const stateDir = await stateDirOf(values);
    if (action === "create") {
      const role = values.role;
      if (role === undefined || !(apiRoles as readonly string[]).includes(role)) throw new UsageError("--role must be viewer or operator");
      const expiresInMs = values.expires !== undefined ? parseDuration(values.expires) : undefined;
      const { token, entry } = await createApiToken(stateDir, {
        name,
        role: role as ApiRole,
        ...(expiresInMs !== undefined ? { expiresInMs } : {}),
      });
      process.stdout.write(`${token}\n`);
      process.stderr.write(
        `api-tokens: '${entry.name}' (${entry.role}, id ${entry.id}${entry.expiresAt ? `, expires ${entry.expiresAt}` : ""}) stored as a hash in ${apiTokensFile(stateDir)}; shown once\n`,
      );
      return 0;
    }
    if (!(await revokeApiToken(stateDir, name))) throw new FacefleetError(`no live token named '${name}'`);
    process.stderr.write(`api-tokens: '${name}' revoked\n`);
    return 0;
  },
};
