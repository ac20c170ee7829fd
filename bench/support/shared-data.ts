import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";

/** The shared data folder, where the benchmark data lives (not in the repository): FACEFLEET_SHARED, else `shared` beside the checkout. */
export const sharedDir = resolve(process.env.FACEFLEET_SHARED ?? join(process.cwd(), "..", "shared"));
export const examplesDir = join(sharedDir, "data", "face_recognition_examples");
export const lfwDir = join(sharedDir, "data", "lfw_dev");

/** Rows of a tab-separated file with a header line, as objects keyed by the header. */
export function readTsv(path: string): Record<string, string>[] {
  const [header, ...lines] = readFileSync(path, "utf8").trim().split("\n");
  const keys = (header ?? "").split("\t");
  return lines.map((line) => Object.fromEntries(line.split("\t").map((v, i) => [keys[i] as string, v])));
}

export type VerificationPair = { a: string; b: string; same: boolean; fold: number };

export function lfwPairs(): VerificationPair[] {
  return readTsv(join(lfwDir, "pairs.tsv")).map((r) => ({
    a: join(lfwDir, r.img1 as string),
    b: join(lfwDir, r.img2 as string),
    same: r.same === "1",
    fold: Number(r.lfw_fold),
  }));
}

export function lfwGallery(): { path: string; identity: string }[] {
  return readTsv(join(lfwDir, "gallery.tsv")).map((r) => ({ path: join(lfwDir, r.image as string), identity: r.identity as string }));
}

export function lfwProbes(): { path: string; identity: string; enrolled: boolean }[] {
  return readTsv(join(lfwDir, "probes.tsv")).map((r) => ({
    path: join(lfwDir, r.image as string),
    identity: r.identity as string,
    enrolled: r.enrolled === "1",
  }));
}

/** test image path -> identities visible in it (face_recognition's knn example split). */
export function knnTestLabels(): Map<string, string[]> {
  const json = JSON.parse(readFileSync(join(examplesDir, "test_labels.json"), "utf8")) as Record<string, { identities?: string[] }>;
  const out = new Map<string, string[]>();
  for (const [key, value] of Object.entries(json)) if (value.identities) out.set(join(examplesDir, key), value.identities);
  return out;
}

/** Benchmarks use the models built by `npm run models:build`, then the shared ones, unless FACEFLEET_MODELS says otherwise. */
export function useBenchModels(): void {
  process.env.FACEFLEET_MODELS ??= [join(process.cwd(), ".facefleet", "models"), join(sharedDir, "models")].join(":");
}
