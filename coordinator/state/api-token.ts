import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { FacefleetError } from "../../core/errors.js";

export const API_TOKEN_FILE = "api-token";

/**
 * The API's bearer token: the configured one, else the one generated on an earlier run, else a new
 * random one stored in `<stateDir>/api-token` (mode 600) and announced once.
 */
export async function resolveApiToken(configured: string | undefined, stateDir: string, announce: (line: string) => void): Promise<string> {
  if (configured !== undefined) return configured;
  const file = join(stateDir, API_TOKEN_FILE);
  try {
    const token = (await readFile(file, "utf8")).trim();
    if (token.length < 16) throw new FacefleetError(`${file} holds no valid token: delete it to generate a new one`);
    await chmod(file, 0o600).catch(() => undefined);
    return token;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      if (error instanceof FacefleetError) throw error;
      throw new FacefleetError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  const token = randomBytes(24).toString("base64url");
  await mkdir(stateDir, { recursive: true });
  await writeFileAtomic(file, `${token}\n`, 0o600);
  announce(`generated API token (stored in ${file}, shown once): ${token}`);
  return token;
}
