import { readFile, stat } from "node:fs/promises";
import type { z } from "zod";
import { FacefleetError } from "./errors.js";
import { formatZodIssue } from "./format-issue.js";

/**
 * A small JSON state file validated by `schema` (the coordinator's named API tokens, its MQTT agent accounts): an
 * absent file is undefined; one that cannot be read, is not JSON or breaks the schema is a one-line FacefleetError
 * naming the file and the field.
 */
export async function readJsonStateFile<S extends z.ZodType>(file: string, schema: S): Promise<z.infer<S> | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new FacefleetError(`cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new FacefleetError(`${file}: not JSON`);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new FacefleetError(`${file}: ${formatZodIssue(parsed.error)}`);
  return parsed.data;
}

/** What changes when a file is rewritten (mtime, size, inode: a rename puts a new inode in place); `absent` without one. */
export async function fileSignature(file: string): Promise<string> {
  try {
    const s = await stat(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return "absent";
  }
}
