import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";

/** Tests run from the repository root (npm test). */
export const repoRoot = resolve(process.cwd());

/** The shared data folder the tests read (pictures, the video, YuNet; not in the repository): FACEFLEET_SHARED, else `shared` beside the checkout, as in CI. */
export const sharedDir = resolve(process.env.FACEFLEET_SHARED ?? join(repoRoot, "..", "shared"));

export const examplesDir = join(sharedDir, "data", "face_recognition_examples");
export const exampleImage = (name: string) => join(examplesDir, "examples", name);

/** Models built by `npm run models:build` first, then the read-only shared ones. */
export const testModelDirs = [join(repoRoot, ".facefleet", "models"), join(sharedDir, "models")];

export function useTestModels(): void {
  process.env.FACEFLEET_MODELS = testModelDirs.join(delimiter);
  if (!existsSync(join(sharedDir, "models")))
    throw new Error(`${sharedDir}/models not found: tests need the shared data folder (set FACEFLEET_SHARED)`);
}
