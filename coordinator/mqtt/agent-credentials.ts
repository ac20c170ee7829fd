/**
 * Per-agent MQTT accounts of the embedded broker: `<stateDir>/mqtt-agents.json`, one entry per agent id (the MQTT
 * username is the agent id), the password kept only as a salted scrypt hash. Written whole (temp file + rename,
 * mode 600) by `facefleet agent-credentials`; the broker reads it again whenever it changes, so adding, rotating or
 * revoking an agent needs no restart (a revoked agent's open connection is closed: `embedded-broker.ts`).
 */
import { join } from "node:path";
import { z } from "zod";
import { agentIdSchema } from "../../agent/config.js";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { FacefleetError } from "../../core/errors.js";
import { fileSignature, readJsonStateFile } from "../../core/json-state-file.js";
import { hashPassword, newSecret, verifyPassword } from "../../core/secret-hash.js";

export const AGENT_CREDENTIALS_FILE = "mqtt-agents.json";
/** The username of the coordinator's own client on its embedded broker (never an agent's). */
export const COORDINATOR_MQTT_USERNAME = "facefleet-coordinator";

const entrySchema = z.strictObject({ hash: z.string().startsWith("scrypt$"), createdAt: z.string() });
const fileSchema = z.strictObject({ version: z.literal(1), agents: z.record(agentIdSchema, entrySchema) });
export type AgentCredentialEntry = z.infer<typeof entrySchema>;

export function agentCredentialsFile(stateDir: string): string {
  return join(stateDir, AGENT_CREDENTIALS_FILE);
}

/** The accounts in the file; an absent file has none; a malformed one is a one-line error naming the field. */
export async function readAgentCredentials(file: string): Promise<Record<string, AgentCredentialEntry>> {
  return (await readJsonStateFile(file, fileSchema))?.agents ?? {};
}

async function writeAgentCredentials(file: string, agents: Record<string, AgentCredentialEntry>): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify({ version: 1, agents }, null, 2)}\n`, 0o600);
}

export function validateAgentId(agentId: string): string {
  const parsed = agentIdSchema.safeParse(agentId);
  if (!parsed.success) throw new FacefleetError(`agent id '${agentId}': ${parsed.error.issues[0]?.message}`);
  if (agentId === COORDINATOR_MQTT_USERNAME) throw new FacefleetError(`agent id '${agentId}' is reserved for the coordinator`);
  return agentId;
}

/**
 * Issues (or replaces: rotation) the credential of an agent and returns its password: the given one (at least 12
 * characters), else a new random one. Only the hash is stored.
 */
export async function issueAgentCredential(stateDir: string, agentId: string, password?: string): Promise<string> {
  validateAgentId(agentId);
  if (password !== undefined && password.length < 12) throw new FacefleetError("the password must be at least 12 characters");
  const secret = password ?? newSecret(24);
  const file = agentCredentialsFile(stateDir);
  const agents = await readAgentCredentials(file);
  agents[agentId] = { hash: await hashPassword(secret), createdAt: new Date().toISOString() };
  await writeAgentCredentials(file, agents);
  return secret;
}

/** Revokes an agent's credential; false when it had none. */
export async function revokeAgentCredential(stateDir: string, agentId: string): Promise<boolean> {
  const file = agentCredentialsFile(stateDir);
  const agents = await readAgentCredentials(file);
  if (!(agentId in agents)) return false;
  delete agents[agentId];
  await writeAgentCredentials(file, agents);
  return true;
}

/** The broker's view of the file: read again when its modification time or size changes. */
export class AgentCredentialFile {
  private agents: Record<string, AgentCredentialEntry> = {};
  private seen = "";

  constructor(
    readonly file: string,
    private readonly log: (line: string) => void,
  ) {}

  /** Re-reads the file when it changed; a file that became malformed keeps the last good accounts (logged once). */
  async refresh(): Promise<Record<string, AgentCredentialEntry>> {
    const signature = await fileSignature(this.file); // absent: no agent accounts
    if (signature !== this.seen) {
      try {
        this.agents = signature === "absent" ? {} : await readAgentCredentials(this.file);
        this.seen = signature;
      } catch (error) {
        if (this.seen !== `bad:${signature}`) this.log(`${(error as Error).message} (keeping the accounts read before)`);
        this.seen = `bad:${signature}`;
      }
    }
    return this.agents;
  }

  /** Whether `agentId`/`password` is a valid agent account now. */
  async verify(agentId: string, password: string): Promise<boolean> {
    const entry = (await this.refresh())[agentId];
    return entry !== undefined && (await verifyPassword(password, entry.hash));
  }

  async has(agentId: string): Promise<boolean> {
    return agentId in (await this.refresh());
  }
}
