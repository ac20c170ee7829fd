import { createWriteStream, existsSync, statSync } from "node:fs";
import { mkdir, rename, rm } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream } from "node:stream/web";
import { FacefleetError } from "../core/errors.js";
import { sha256File } from "./verify-file.js";

export type FetchProgress = (received: number, total: number | undefined) => void;

/** A file to download: where from, and the sha256 (and size, for progress) it must have. */
export type VerifiedSource = { url: string; sha256: string; bytes?: number };

/**
 * Downloads URL to TARGET: into TARGET.part (resumed with an HTTP range when a partial file is there), checked
 * against the sha256, then renamed into place. A file that does not match is deleted and refused; nothing
 * half-written is ever left under the target's own name. Every failure is one line naming the URL.
 */
export async function downloadVerified(source: VerifiedSource, target: string, onProgress: FetchProgress = () => {}): Promise<string> {
  const name = basename(target);
  await mkdir(dirname(target), { recursive: true });
  const partial = `${target}.part`;
  const offset = existsSync(partial) ? statSync(partial).size : 0;
  let response: Response;
  try {
    response = await fetch(source.url, { headers: offset > 0 ? { Range: `bytes=${offset}-` } : {}, redirect: "follow" });
  } catch (error) {
    const cause = error instanceof Error && error.cause instanceof Error ? error.cause.message : String(error);
    throw new FacefleetError(`download of ${name} from ${source.url} failed: ${cause}`);
  }
  // 416: the partial file already holds every byte (an earlier run stopped before the check); check it.
  const complete = response.status === 416 && offset > 0;
  if (!complete) {
    if (!response.ok || !response.body) throw new FacefleetError(`download of ${name} failed: HTTP ${response.status} from ${source.url}`);
    const resumed = response.status === 206;
    let received = resumed ? offset : 0;
    const body = Readable.fromWeb(response.body as ReadableStream<Uint8Array>);
    body.on("data", (chunk: Buffer) => {
      received += chunk.length;
      onProgress(received, source.bytes);
    });
    try {
      await pipeline(body, createWriteStream(partial, { flags: resumed ? "a" : "w" }));
    } catch (error) {
      // The bytes received so far stay in TARGET.part: the next run resumes from there.
      throw new FacefleetError(
        `download of ${name} from ${source.url} broke off: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }
  const actual = await sha256File(partial);
  if (actual !== source.sha256) {
    await rm(partial, { force: true });
    throw new FacefleetError(`downloaded ${name} has sha256 ${actual}, expected ${source.sha256}: deleted (from ${source.url})`);
  }
  await rename(partial, target);
  return target;
}
