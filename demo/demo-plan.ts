import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FacefleetError } from "../core/errors.js";
import { fetchModel } from "../models/fetch-model.js";
import { getDetector, loadManifest } from "../models/manifest.js";
import { modelDirs, modelFetchDir } from "../models/model-dirs.js";
import { findModelFile } from "../models/verify-file.js";
import { fetchSamples } from "./fetch-samples.js";
import { demoVideoFile, sampleUpstream } from "./sample-assets.js";
import { resolveSampleSource } from "./sample-source.js";

/** What `facefleet demo` runs, resolved from its options: everything local, on loopback. */
export type DemoPlan = {
  dataDir: string;
  port: number;
  controllerPort: number;
  cameras: number;
  /** Agent processes (inference, following the coordinator's plan). */
  agents: number;
  /** The coordinator's API and dashboard, and its embedded MQTT broker. */
  httpPort: number;
  mqttPort: number;
  /** Dashboard login password. */
  password: string;
  fps: number;
  durationS: number | null;
  video: string;
  people: string;
  modelDirs: string;
};

export type DemoOptions = {
  dataDir?: string;
  port?: number;
  cameras?: number;
  agents?: number;
  httpPort?: number;
  mqttPort?: number;
  password?: string;
  fps?: number;
  durationS?: number;
  video?: string;
  people?: string;
};

/** What the plan is resolved against; tests replace it (a temporary checkout, a loopback server for the downloads). */
export type DemoContext = {
  env?: NodeJS.ProcessEnv;
  /** The checkout (or installed package) whose ../shared is looked for. */
  checkout?: string;
  samplesBaseUrl?: string;
  detectorUrl?: string;
  say?: (line: string) => void;
};

const packageRoot = fileURLToPath(new URL("../../", import.meta.url));

/**
 * Resolves the demo's options. The sample video and the two people in it come from the shared data folder
 * when there is one (FACEFLEET_SHARED, else ../shared beside the checkout), else from the per-user samples
 * folder, downloaded first when missing; the default detector is downloaded (as `models fetch` does) when no
 * model directory has it.
 */
export async function resolveDemoPlan(options: DemoOptions, context: DemoContext = {}): Promise<DemoPlan> {
  const env = context.env ?? process.env;
  const say = context.say ?? ((line: string) => process.stderr.write(`facefleet demo: ${line}\n`));
  const samples = resolveSampleSource(context.checkout ?? packageRoot, env);
  if (samples.kind === "fetched" && (options.video === undefined || options.people === undefined)) {
    say(
      `no shared data folder: the sample people and video go to ${samples.dir} (${sampleUpstream.repository}, ${sampleUpstream.licence})`,
    );
    await fetchSamples({ dir: samples.dir, baseUrl: context.samplesBaseUrl, say });
  }
  const video = resolve(options.video ?? join(samples.dir, demoVideoFile));
  const people = resolve(options.people ?? samples.dir);
  if (!existsSync(video)) throw new FacefleetError(`demo video ${video} not found (pass --video FILE)`);
  if (!existsSync(people)) throw new FacefleetError(`demo people folder ${people} not found (pass --people DIR)`);

  const fromEnv = env.FACEFLEET_MODELS?.split(delimiter).filter(Boolean);
  const dirs = fromEnv?.length ? fromEnv : modelDirs();
  const fetchDir = fromEnv?.length ? (fromEnv[0] as string) : modelFetchDir();
  const manifest = loadManifest();
  const detector = getDetector(manifest.defaults.detector.fp32, manifest);
  if (!findModelFile(detector, dirs) && detector.source.kind === "download") {
    const url = context.detectorUrl ?? detector.source.url;
    say(`the detector ${detector.file} is in none of ${dirs.join(", ")}: downloading it from ${url}`);
    await fetchModel({ ...detector, source: { kind: "download", url } }, fetchDir);
    say(`${detector.file}: done (sha256 ok)`);
  }
  const port = options.port ?? 9092;
  return {
    dataDir: resolve(options.dataDir ?? ".facefleet/demo"),
    port,
    controllerPort: port + 1,
    cameras: options.cameras ?? 2,
    agents: options.agents ?? 2,
    httpPort: options.httpPort ?? 8080,
    mqttPort: options.mqttPort ?? 1883,
    password: options.password ?? "facefleet",
    fps: options.fps ?? 5,
    durationS: options.durationS ?? null,
    video,
    people,
    modelDirs: dirs.map((d) => resolve(d)).join(delimiter),
  };
}
