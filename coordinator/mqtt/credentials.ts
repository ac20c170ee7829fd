import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { FacefleetError } from "../../core/errors.js";

export const CREDENTIALS_FILE = "mqtt-credentials.json";

const storedSchema = z.object({ username: z.string().min(1), password: z.string().min(8) });

export type BrokerCredentials = { username: string; password: string; generated: boolean; file?: string };

/**
 * The broker's username/password: the configured one, else the one generated on an earlier run,
 * else a new random one, stored in `<stateDir>/mqtt-credentials.json` with mode 600 and printed
 * once (through `announce`) so the operator can put it in the agents' configs.
 */
export async function resolveCredentials(
  config: { username: string; password?: string; stateDir: string },
  announce: (line: string) => void,
): Promise<BrokerCredentials> {
  if (config.password !== undefined) return { username: config.username, password: config.password, generated: false };
  const file = join(config.stateDir, CREDENTIALS_FILE);
  let text: string | undefined;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      throw new FacefleetError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  if (text !== undefined) {
    let parsed: z.infer<typeof storedSchema>;
    try {
      parsed = storedSchema.parse(JSON.parse(text));
    } catch {
      throw new FacefleetError(`${file} is not a valid credentials file: delete it to generate a new password`);
    }
    await chmod(file, 0o600).catch(() => undefined);
    return { ...parsed, generated: false, file };
  }
  const credentials = { username: config.username, password: randomBytes(18).toString("base64url") };
  await mkdir(config.stateDir, { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(credentials, null, 2)}\n`, 0o600);
  announce(`generated MQTT credentials (stored in ${file}, shown once): username ${credentials.username} password ${credentials.password}`);
  return { ...credentials, generated: true, file };
}
