/**
 * The key that seals biometric files at rest (core/at-rest-cipher.ts): one line of text,
 * `facefleet-at-rest-key-v1 <32 bytes in base64>`, kept in a key file of mode 600 (`facefleet keys create FILE`
 * writes one and never overwrites one) or in an environment variable (the same line, or the base64 alone). The
 * config setting `encryptAtRest` names one or the other.
 */
import { randomBytes } from "node:crypto";
import { link, mkdir, readFile, rm, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { z } from "zod";
import { AT_REST_KEY_BYTES, type AtRestKey, atRestKey } from "./at-rest-cipher.js";
import { FacefleetError } from "./errors.js";

const KEY_PREFIX = "facefleet-at-rest-key-v1";
const KEY_TEXT = new RegExp(`^(?:${KEY_PREFIX}\\s+)?([A-Za-z0-9+/]{43}=)$`);

/** `encryptAtRest` in a config: `{ keyFile }` or `{ keyEnv }`, exactly one. */
export const encryptAtRestSchema = z
  .strictObject({
    keyFile: z.string().min(1).optional().describe("A key file written by `facefleet keys create FILE` (mode 600)."),
    keyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an environment variable's name")
      .optional()
      .describe("The name of an environment variable that holds the key (the key file's line)."),
  })
  .superRefine((value, context) => {
    if ((value.keyFile === undefined) === (value.keyEnv === undefined))
      context.addIssue({ code: "custom", message: "give keyFile or keyEnv (exactly one)" });
  });

export type EncryptAtRestSetting = z.output<typeof encryptAtRestSchema>;

/** The text of a key file (or of the environment variable); `origin` names where it came from in the error. */
export function parseAtRestKey(text: string, origin: string): AtRestKey {
  const match = KEY_TEXT.exec(text.trim());
  if (!match?.[1])
    throw new FacefleetError(
      `${origin} is not an at-rest key (expected '${KEY_PREFIX} <base64 of 32 bytes>', as facefleet keys create writes)`,
    );
  return atRestKey(Buffer.from(match[1], "base64"));
}

export function formatAtRestKey(bytes: Buffer): string {
  return `${KEY_PREFIX} ${bytes.toString("base64")}\n`;
}

/** Reads a key file; one readable by the group or others is refused, as ssh refuses such a private key. */
export async function readAtRestKeyFile(file: string): Promise<AtRestKey> {
  let mode: number;
  let text: string;
  try {
    mode = (await stat(file)).mode & 0o777;
    text = await readFile(file, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new FacefleetError(`key file ${file} does not exist (facefleet keys create ${file} writes one)`);
    throw new FacefleetError(`cannot read key file ${file}: ${code ?? String(error)}`);
  }
  if ((mode & 0o077) !== 0)
    throw new FacefleetError(`key file ${file} is open to other users (mode ${mode.toString(8)}): chmod 600 ${file}`);
  return parseAtRestKey(text, `key file ${file}`);
}

/**
 * Writes a new random key to `file` (mode 600) and returns it; an existing file is never replaced (its key may
 * be the only way to read a store). Written whole to a temporary file, then hard-linked in place: the link fails
 * when the name exists, and a crash leaves no half-written key under it.
 */
export async function createAtRestKeyFile(file: string): Promise<AtRestKey> {
  const bytes = randomBytes(AT_REST_KEY_BYTES);
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${randomBytes(4).toString("hex")}.tmp`;
  try {
    await writeFile(temp, formatAtRestKey(bytes), { mode: 0o600, flag: "wx" });
    await link(temp, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST")
      throw new FacefleetError(`${file} exists: not overwritten (its key may be the only one that reads your store)`);
    throw new FacefleetError(`cannot write key file ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  } finally {
    await rm(temp, { force: true });
  }
  return atRestKey(bytes);
}

/** The key a setting names, or undefined when there is no setting (files are written as they are). */
export async function resolveAtRestKey(
  setting: EncryptAtRestSetting | undefined,
  env: NodeJS.ProcessEnv = process.env,
): Promise<AtRestKey | undefined> {
  if (setting === undefined) return undefined;
  if (setting.keyFile !== undefined) return readAtRestKeyFile(setting.keyFile);
  const name = setting.keyEnv as string;
  const text = env[name];
  if (text === undefined || text.trim() === "") throw new FacefleetError(`encryptAtRest.keyEnv: environment variable ${name} is not set`);
  return parseAtRestKey(text, `environment variable ${name}`);
}
