import { readdir, stat } from "node:fs/promises";
import { basename, extname, join } from "node:path";
import { FacefleetError } from "../core/errors.js";
import { chooseEnrollmentFace, describeIgnored, type EnrollmentFaceOptions, type EnrollmentRefusal } from "./dominant-face.js";
import type { Identity } from "./gallery.js";
import type { RecognitionPipeline } from "./pipeline.js";

export const IMAGE_EXTENSIONS = new Set([".jpg", ".jpeg", ".png", ".webp"]);

export type EnrollmentSource = { identity: string; path: string };
/** `refusal` is undefined when the picture could not be read (`reason` says why). */
export type EnrollmentRejection = { path: string; identity: string; reason: string; refusal?: EnrollmentRefusal };
/** An enrolled picture whose other, smaller faces were left out ("ignored 1 background face"). */
export type EnrollmentNote = { path: string; identity: string; ignoredFaces: number; note: string };
export type EnrollmentResult = { identities: Identity[]; accepted: number; rejected: EnrollmentRejection[]; ignored: EnrollmentNote[] };

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
 * Embeds the subject's face of each picture (recognition/dominant-face.ts: the only face, or the largest when it
 * clearly is the subject, the others reported as ignored). A picture with no face, several faces and no clear
 * subject, a face too small, blurred or turned, or that cannot be decoded is rejected with the reason, never
 * guessed at.
 */
export async function embedEnrollmentSources(
  pipeline: RecognitionPipeline,
  sources: readonly EnrollmentSource[],
  onProgress: (done: number, total: number) => void = () => {},
  options: EnrollmentFaceOptions = {},
): Promise<EnrollmentResult> {
  const byIdentity = new Map<string, Identity>();
  const rejected: EnrollmentRejection[] = [];
  const ignored: EnrollmentNote[] = [];
  let accepted = 0;
  for (const [index, source] of sources.entries()) {
    try {
      const { image, faces } = await pipeline.analyse(source.path);
      const choice = chooseEnrollmentFace(image, faces, options);
      if (!choice.accepted) rejected.push({ ...source, reason: choice.reason, refusal: choice.refusal });
      else {
        const identity = byIdentity.get(source.identity) ?? { name: source.identity, embeddings: [] };
        identity.embeddings.push({ vector: choice.face.embedding, source: source.path });
        byIdentity.set(source.identity, identity);
        accepted++;
        if (choice.ignored.length > 0)
          ignored.push({ ...source, ignoredFaces: choice.ignored.length, note: describeIgnored(choice.ignored.length) });
      }
    } catch (error) {
      rejected.push({ ...source, reason: error instanceof Error ? error.message : String(error) });
    }
    onProgress(index + 1, sources.length);
  }
  return { identities: [...byIdentity.values()], accepted, rejected, ignored };
}
