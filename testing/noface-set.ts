import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./paths.js";

/** The no-face pictures (test/fixtures/noface-set/README.md), as scripts/fetch-noface-set.py leaves them. */
export const nofaceSetDir = join(repoRoot, ".facefleet", "noface-set", "pictures");

export type NofacePicture = { name: string; path: string; what: string; requirement: string };

export function nofacePictures(): NofacePicture[] {
  const spec = JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "noface-set", "noface-set.json"), "utf8")) as {
    pictures: { name: string; what: string; requirement: string }[];
  };
  const pictures = spec.pictures.map((p) => ({ name: p.name, path: join(nofaceSetDir, p.name), what: p.what, requirement: p.requirement }));
  const missing = pictures.filter((p) => !existsSync(p.path)).map((p) => p.name);
  if (missing.length > 0)
    throw new Error(`${nofaceSetDir}: ${missing.join(", ")} missing; run scripts/fetch-noface-set.py (scripts/setup.sh --tests does)`);
  return pictures;
}
