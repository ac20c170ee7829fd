import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { userSampleDir } from "./sample-assets.js";

/** Where the demo's sample people and video come from, and whether they must be downloaded first. */
export type SampleSource = { kind: "shared" | "fetched"; dir: string };

/**
 * In order: the shared data folder named by FACEFLEET_SHARED; the shared folder beside the checkout
 * (<checkout>/../shared, as on the machines this project is built on); else the per-user samples folder,
 * which the demo fills from the samples' public upstream (demo/fetch-samples.ts).
 */
export function resolveSampleSource(checkout: string, env: NodeJS.ProcessEnv = process.env): SampleSource {
  const examplesOf = (shared: string) => join(shared, "data", "face_recognition_examples", "examples");
  if (env.FACEFLEET_SHARED) return { kind: "shared", dir: examplesOf(resolve(env.FACEFLEET_SHARED)) };
  const beside = examplesOf(resolve(checkout, "..", "shared"));
  if (existsSync(beside)) return { kind: "shared", dir: beside };
  return { kind: "fetched", dir: userSampleDir(env) };
}
