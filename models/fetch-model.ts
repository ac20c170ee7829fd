import { join } from "node:path";
import { FacefleetError } from "../core/errors.js";
import type { ModelEntry } from "./manifest-schema.js";
import { downloadVerified, type FetchProgress } from "./verified-download.js";

/**
 * Downloads a model from its upstream URL into DIR, sha256-checked against the manifest and resumable
 * (models/verified-download.ts); a built model names the command that builds it instead.
 */
export async function fetchModel(entry: ModelEntry & { id: string }, dir: string, onProgress: FetchProgress = () => {}): Promise<string> {
  if (entry.source.kind !== "download") throw new FacefleetError(`${entry.id} is built, not downloaded: run \`${entry.source.command}\``);
  return downloadVerified({ url: entry.source.url, sha256: entry.sha256, bytes: entry.bytes }, join(dir, entry.file), onProgress);
}
