import { readdir, stat } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { FacefleetError } from "../cli/errors.js";
import type { Identity } from "./gallery.js";
import type { RecognitionPipeline } from "./pipeline.js";

export const IMAGE_EXTENSIONS = new Set([".jpg", ".jpeg", ".png", ".webp"]);

export type EnrollmentSource = { identity: string; path: string };
export type EnrollmentRejection = { path: string; identity: string; reason: string };
export type EnrollmentResult = { identities: Identity[]; accepted: number; rejected: EnrollmentRejection[] };

const isImage = (name: string) => IMAGE_EXTENSIONS.has(extname(name).toLowerCase()) && !name.startsWith(".");

/** DIR/<identity>/*.jpg and DIR/<identity>.jpg, sorted by identity then file name. */
export async function listEnrollmentSources(dir: string): Promise<EnrollmentSource[]> {
  let entries: import("node:fs").Dirent[];
  try {
    if (!(await stat(dir)).isDirectory()) throw new FacefleetError(`${dir} is not a directory`);
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (error instanceof FacefleetError) throw error;
    throw new FacefleetError(`cannot read directory ${dir}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  const sources: EnrollmentSource[] = [];
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    if (entry.isDirectory() && !entry.name.startsWith(".")) {
      const files = (await readdir(join(dir, entry.name))).filter(isImage).sort();
      for (const file of files) sources.push({ identity: entry.name, path: join(dir, entry.name, file) });
    } else if (entry.isFile() && isImage(entry.name)) {
      sources.push({ identity: basename(entry.name, extname(entry.name)), path: join(dir, entry.name) });
    }
  }
  if (sources.length === 0) throw new FacefleetError(`no pictures in ${dir} (expected DIR/<identity>/*.jpg or DIR/<identity>.jpg)`);
  return sources;
}

/**
 * Embeds the one face of each picture. A picture with no face, more than one face, a face too small to
 * recognise, or that cannot be decoded is rejected with the reason, never guessed at.
 */
export async function embedEnrollmentSources(
  pipeline: RecognitionPipeline,
  sources: readonly EnrollmentSource[],
  onProgress: (done: number, total: number) => void = () => {},
): Promise<EnrollmentResult> {
  const byIdentity = new Map<string, Identity>();
  const rejected: EnrollmentRejection[] = [];
  let accepted = 0;
  for (const [index, source] of sources.entries()) {
    try {
      const { faces } = await pipeline.analyse(source.path);
      const face = faces[0];
      if (faces.length === 0 || !face) rejected.push({ ...source, reason: "no face found" });
      else if (faces.length > 1) rejected.push({ ...source, reason: `${faces.length} faces found, expected 1` });
      else if (!face.embedding) rejected.push({ ...source, reason: "face too small to recognise" });
      else {
        const identity = byIdentity.get(source.identity) ?? { name: source.identity, embeddings: [] };
        identity.embeddings.push({ vector: face.embedding, source: source.path });
        byIdentity.set(source.identity, identity);
        accepted++;
      }
    } catch (error) {
      rejected.push({ ...source, reason: error instanceof Error ? error.message : String(error) });
    }
    onProgress(index + 1, sources.length);
  }
  return { identities: [...byIdentity.values()], accepted, rejected };
}
