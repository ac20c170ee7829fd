import { createWriteStream, existsSync, statSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { FacefleetError } from "../cli/errors.js";
import type { ModelEntry } from "./manifest-schema.js";
import { sha256File } from "./verify-file.js";

export type FetchProgress = (received: number, total: number | undefined) => void;

/**
 * Downloads a model from its upstream URL into DIR: to FILE.part (resumed with an HTTP range when a
 * partial file is there), checked against the manifest's sha256, then renamed into place. A file that does
 * not match is deleted and refused; nothing half-written is ever left under the model's own name.
 */
export async function fetchModel(entry: ModelEntry & { id: string }, dir: string, onProgress: FetchProgress = () => {}): Promise<string> {
  if (entry.source.kind !== "download") throw new FacefleetError(`${entry.id} is built, not downloaded: run \`${entry.source.command}\``);
  await mkdir(dir, { recursive: true });
  const target = join(dir, entry.file);
  const partial = `${target}.part`;
  const offset = existsSync(partial) ? statSync(partial).size : 0;
  const response = await fetch(entry.source.url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, redirect: "follow" });
  if (!response.ok || !response.body)
    throw new FacefleetError(`download of ${entry.file} failed: HTTP ${response.status} from ${entry.source.url}`);
  const resumed = response.status === 206;
  let received = resumed ? offset : 0;
  const total = entry.bytes;
  const body = Readable.fromWeb(response.body as import("node:stream/web").ReadableStream<Uint8Array>);
  body.on("data", (chunk: Buffer) => {
    received += chunk.length;
    onProgress(received, total);
  });
  await pipeline(body, createWriteStream(partial, { flags: resumed ? "a" : "w" }));
  const actual = await sha256File(partial);
  if (actual !== entry.sha256) {
    await rm(partial, { force: true });
    throw new FacefleetError(`downloaded ${entry.file} has sha256 ${actual}, expected ${entry.sha256}: deleted`);
  }
  await rename(partial, target);
  return target;
}
