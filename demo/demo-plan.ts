import { existsSync } from "node:fs";
import { delimiter, join, resolve } from "node:path";
import { FacefleetError } from "../cli/errors.js";

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

/** The sample video and the two people in it come from the shared data beside the checkout unless given. */
export function resolveDemoPlan(options: {
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
}): DemoPlan {
  const shared = resolve(process.env.FACEFLEET_SHARED ?? join(process.cwd(), "..", "shared"));
  const examples = join(shared, "data", "face_recognition_examples", "examples");
  const video = resolve(options.video ?? join(examples, "short_hamilton_clip.mp4"));
  const people = resolve(options.people ?? examples);
  if (!existsSync(video)) throw new FacefleetError(`demo video ${video} not found (pass --video FILE)`);
  if (!existsSync(people)) throw new FacefleetError(`demo people folder ${people} not found (pass --people DIR)`);
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
    modelDirs: process.env.FACEFLEET_MODELS ?? [resolve(".facefleet/models"), join(shared, "models")].join(delimiter),
  };
}
