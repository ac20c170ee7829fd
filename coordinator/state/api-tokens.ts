/**
 * Named API tokens: `<stateDir>/api-tokens.json`, each with a role (viewer: read only; operator: also move, drain,
 * enroll, correct, delete), an optional expiry and a revocation time; only a SHA-256 hash of each token is stored
 * (they are 32 random bytes: nothing to guess). A token reads `fft_<id>_<secret>`, so a request finds its entry by id
 * and compares the hash in constant time. Written whole (temp file + rename, mode 600) by `facefleet api-tokens`;
 * the coordinator reads the file again when it changes, so a revocation holds at the next request, no restart.
 */
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { FacefleetError } from "../../core/errors.js";
import { fileSignature, readJsonStateFile } from "../../core/json-state-file.js";
import { hashToken, newSecret, tokenMatches } from "../../core/secret-hash.js";

export const API_TOKENS_FILE = "api-tokens.json";
export const apiRoles = ["viewer", "operator"] as const;
export type ApiRole = (typeof apiRoles)[number];

const nameSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/, "must be 1-64 letters, digits, '.', '_', '@' or '-'");
const entrySchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9]{12}$/),
  name: nameSchema,
  role: z.enum(apiRoles),
  hash: z.string().startsWith("sha256$"),
  createdAt: z.string(),
  /** ISO time; absent: never expires. */
  expiresAt: z.string().optional(),
  revokedAt: z.string().optional(),
});
const fileSchema = z.strictObject({ version: z.literal(1), tokens: z.array(entrySchema) });
export type ApiTokenEntry = z.infer<typeof entrySchema>;

export function apiTokensFile(stateDir: string): string {
  return join(stateDir, API_TOKENS_FILE);
}

export async function readApiTokens(file: string): Promise<ApiTokenEntry[]> {
  return (await readJsonStateFile(file, fileSchema))?.tokens ?? [];
}

async function writeApiTokens(file: string, tokens: ApiTokenEntry[]): Promise<void> {
  await writeFileAtomic(file, `${JSON.stringify({ version: 1, tokens }, null, 2)}\n`, 0o600);
}

/** `30d`, `12h`, `45m` → milliseconds; a one-line error otherwise. */
export function parseDuration(text: string): number {
  const match = /^(\d+)([dhm])$/.exec(text.trim());
  if (!match) throw new FacefleetError(`'${text}' is not a duration: use e.g. 30d, 12h or 45m`);
  const n = Number(match[1]);
  const ms = n * { d: 86_400_000, h: 3_600_000, m: 60_000 }[match[2] as "d" | "h" | "m"];
  if (ms <= 0) throw new FacefleetError(`'${text}': the duration must be more than 0`);
  return ms;
}

/** Creates a named token; returns the token itself (shown once: only its hash is kept). */
export async function createApiToken(
  stateDir: string,
  options: { name: string; role: ApiRole; expiresInMs?: number; now?: number },
): Promise<{ token: string; entry: ApiTokenEntry }> {
  const name = nameSchema.safeParse(options.name);
  if (!name.success) throw new FacefleetError(`token name '${options.name}': ${name.error.issues[0]?.message}`);
  const file = apiTokensFile(stateDir);
  const tokens = await readApiTokens(file);
  if (tokens.some((t) => t.name === options.name && t.revokedAt === undefined))
    throw new FacefleetError(`a token named '${options.name}' exists: revoke it first, or choose another name`);
  const now = options.now ?? Date.now();
  const id = newSecret(9)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "0")
    .slice(0, 12)
    .padEnd(12, "0");
  const token = `fft_${id}_${newSecret(32)}`;
  const entry: ApiTokenEntry = {
    id,
    name: options.name,
    role: options.role,
    hash: hashToken(token),
    createdAt: new Date(now).toISOString(),
    ...(options.expiresInMs !== undefined ? { expiresAt: new Date(now + options.expiresInMs).toISOString() } : {}),
  };
  tokens.push(entry);
  await writeApiTokens(file, tokens);
  return { token, entry };
}

/** Revokes the live token of that name (or id); false when there is none. */
export async function revokeApiToken(stateDir: string, nameOrId: string, now = Date.now()): Promise<boolean> {
  const file = apiTokensFile(stateDir);
  const tokens = await readApiTokens(file);
  const entry = tokens.find((t) => (t.name === nameOrId || t.id === nameOrId) && t.revokedAt === undefined);
  if (!entry) return false;
  entry.revokedAt = new Date(now).toISOString();
  await writeApiTokens(file, tokens);
  return true;
}

export type TokenGrant = { role: ApiRole; name: string; id: string; expiresAt?: number };

/** The coordinator's view of the file: re-read when it changes (checked at most once a second). */
export class ApiTokenStore {
  private tokens: ApiTokenEntry[] = [];
  private signature = "";
  private checkedAt = 0;

  constructor(
    readonly file: string,
    private readonly log: (line: string) => void = () => {},
    private readonly now: () => number = Date.now,
  ) {}

  async refresh(force = false): Promise<void> {
    if (!force && this.now() - this.checkedAt < 1000) return;
    this.checkedAt = this.now();
    const signature = await fileSignature(this.file); // absent: no named tokens
    if (signature === this.signature) return;
    try {
      this.tokens = signature === "absent" ? [] : await readApiTokens(this.file);
      this.signature = signature;
    } catch (error) {
      // A broken file grants nothing (fail closed), logged once per version of it.
      if (this.signature !== `bad:${signature}`) this.log(`${(error as Error).message}: no named token is accepted until it is fixed`);
      this.tokens = [];
      this.signature = `bad:${signature}`;
    }
  }

  /** The grant of a `fft_<id>_<secret>` token that is known, not revoked and not expired; undefined otherwise. */
  grant(token: string): TokenGrant | undefined {
    const match = /^fft_([a-z0-9]{12})_[A-Za-z0-9_-]+$/.exec(token);
    if (!match) return undefined;
    const entry = this.tokens.find((t) => t.id === match[1]);
    if (!entry || !tokenMatches(token, entry.hash) || entry.revokedAt !== undefined) return undefined;
    const expiresAt = entry.expiresAt !== undefined ? Date.parse(entry.expiresAt) : undefined;
    if (expiresAt !== undefined && expiresAt <= this.now()) return undefined;
    return { role: entry.role, name: entry.name, id: entry.id, ...(expiresAt !== undefined ? { expiresAt } : {}) };
  }

  /** Whether the token of this id still grants (sessions made from it end when it is revoked or expires). */
  stillValid(id: string): boolean {
    const entry = this.tokens.find((t) => t.id === id);
    if (!entry || entry.revokedAt !== undefined) return false;
    return entry.expiresAt === undefined || Date.parse(entry.expiresAt) > this.now();
  }
}
