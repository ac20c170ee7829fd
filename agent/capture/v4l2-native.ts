/**
 * node-v4l2camera (npm "v4l2camera" 1.0.4) built for Node 20 with the patch in v4l2camera-patch/
 * (`bash agent/capture/v4l2camera-patch/build.sh` puts it in .facefleet/v4l2camera). Loaded only
 * when present; the ffmpeg V4L2 path is used otherwise.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export type V4l2Format = {
  formatName: string;
  format: number;
  width: number;
  height: number;
  interval: { numerator: number; denominator: number };
};

export type V4l2Camera = {
  formats: V4l2Format[];
  width: number;
  height: number;
  configGet(): V4l2Format;
  configSet(format: Partial<V4l2Format>): void;
  start(): void;
  stop(done?: () => void): void;
  capture(done: (ok: boolean) => void): void;
  frameRaw(): Uint8Array;
};

export type V4l2Module = { Camera: new (device: string) => V4l2Camera };

/** Where the patched build may be, first match wins. */
export function v4l2cameraCandidates(): string[] {
  const here = dirname(fileURLToPath(import.meta.url));
  // Source lives in agent/capture/, compiled code in dist/agent/capture/.
  const roots = [process.cwd(), resolve(here, "../.."), resolve(here, "../../..")];
  const dirs = roots.map((r) => join(r, ".facefleet", "v4l2camera"));
  if (process.env.FACEFLEET_V4L2CAMERA) dirs.unshift(resolve(process.env.FACEFLEET_V4L2CAMERA));
  return [...new Set(dirs)];
}

let cached: { module?: V4l2Module; error?: string } | undefined;

/** The native binding, or undefined with the reason (never throws). */
export function loadV4l2Camera(): { module?: V4l2Module; error?: string } {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  const errors: string[] = [];
  for (const dir of v4l2cameraCandidates()) {
    if (!existsSync(join(dir, "build", "Release", "v4l2camera.node"))) continue;
    try {
      cached = { module: require(dir) as V4l2Module };
      return cached;
    } catch (error) {
      errors.push(`${dir}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
  }
  try {
    cached = { module: require("v4l2camera") as V4l2Module };
    return cached;
  } catch {
    // not installed as a package either
  }
  cached = { error: errors[0] ?? "node-v4l2camera is not built (bash agent/capture/v4l2camera-patch/build.sh)" };
  return cached;
}
