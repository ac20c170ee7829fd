import { createHash } from "node:crypto";
import { createReadStream, existsSync } from "node:fs";
import { join } from "node:path";
import { FacefleetError } from "../core/errors.js";
import type { ModelEntry } from "./manifest-schema.js";

export async function sha256File(path: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

/** The first directory holding the model's file, or undefined. */
export function findModelFile(entry: Pick<ModelEntry, "file">, dirs: readonly string[]): string | undefined {
  for (const dir of dirs) {
    const candidate = join(dir, entry.file);
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Finds the model's file and checks its sha256 against the manifest; refuses a missing or altered file. */
export async function locateVerifiedModel(entry: ModelEntry & { id: string }, dirs: readonly string[]): Promise<string> {
  const path = findModelFile(entry, dirs);
  if (!path) {
    const hint = entry.source.kind === "download" ? "run `facefleet models fetch`" : `run \`${entry.source.command}\``;
    throw new FacefleetError(`model file ${entry.file} (${entry.id}) not found in ${dirs.join(", ")}: ${hint}`);
  }
  const actual = await sha256File(path);
  if (actual !== entry.sha256) {
    throw new FacefleetError(`model file ${path} has sha256 ${actual}, the manifest expects ${entry.sha256}: refusing to load it`);
  }
  return path;
}
