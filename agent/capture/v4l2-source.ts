/**
 * A V4L2 camera (/dev/videoN). Two back ends:
 * - "native": node-v4l2camera (patched for Node 20, see v4l2camera-patch/), MJPEG frames as they
 *   come from the camera, YUYV frames converted to JPEG (yuyv.ts);
 * - "ffmpeg": `ffmpeg -f v4l2 -input_format mjpeg -video_size WxH -framerate N -i /dev/videoN`,
 *   re-encoded to JPEG (Huffman tables included, which camera MJPEG often lacks).
 * "auto" (the default) takes native when the patched binding is built, else ffmpeg.
 * Frames arriving faster than `fps` are skipped, so the camera's own rate does not matter.
 */
import { statSync } from "node:fs";
import { FacefleetError } from "../../core/errors.js";
import { ffmpegFrames, jpegPipeOutput } from "./ffmpeg-frames.js";
import type { CapturedFrame, SourceOptions } from "./frame.js";
import { jpegSize } from "./frame-size.js";
import { RateLimiter } from "./pacer.js";
import { loadV4l2Camera, type V4l2Format } from "./v4l2-native.js";
import { yuyvToJpeg } from "./yuyv.js";

export type V4l2Backend = "auto" | "native" | "ffmpeg";
export type V4l2Options = SourceOptions & { fps: number; width?: number; height?: number; backend?: V4l2Backend; quality?: number };

export const isV4l2Device = (source: string) => /^\/dev\/video\d+$/.test(source) || source.startsWith("/dev/v4l/");

/** A missing or wrong device is one clear line naming it, before any back end is tried. */
export function assertCameraDevice(device: string): void {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(device);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new FacefleetError(`camera device ${device} not found (is the camera plugged in and its driver loaded?)`);
    throw new FacefleetError(`camera device ${device}: ${(error as Error).message}`);
  }
  if (!stat.isCharacterDevice()) throw new FacefleetError(`camera device ${device} is not a character device`);
}

export function chooseBackend(backend: V4l2Backend): "native" | "ffmpeg" {
  if (backend === "ffmpeg") return "ffmpeg";
  const loaded = loadV4l2Camera();
  if (loaded.module) return "native";
  if (backend === "native") throw new FacefleetError(`node-v4l2camera is not available: ${loaded.error}`);
  return "ffmpeg";
}

export async function* v4l2Source(device: string, options: V4l2Options): AsyncGenerator<CapturedFrame> {
  assertCameraDevice(device);
  if (chooseBackend(options.backend ?? "auto") === "native") yield* nativeFrames(device, options);
  else yield* ffmpegV4l2Frames(device, options);
}

async function* ffmpegV4l2Frames(device: string, options: V4l2Options): AsyncGenerator<CapturedFrame> {
  const size = options.width && options.height ? ["-video_size", `${options.width}x${options.height}`] : [];
  const input = ["-f", "v4l2", "-input_format", "mjpeg", ...size, "-framerate", String(Math.ceil(options.fps)), "-i", device];
  const limiter = new RateLimiter(options.fps);
  for await (const frame of ffmpegFrames(input, jpegPipeOutput(undefined, options.quality), options.signal)) {
    if (limiter.keep()) yield frame;
  }
}

/** MJPG at the asked size, else YUYV at it, else the largest MJPG, else the largest YUYV. */
export function chooseFormat(formats: V4l2Format[], width?: number, height?: number): V4l2Format | undefined {
  const sized = (f: V4l2Format) => width === undefined || height === undefined || (f.width === width && f.height === height);
  const largest = (name: string) => formats.filter((f) => f.formatName === name).sort((a, b) => b.width * b.height - a.width * a.height)[0];
  return (
    formats.find((f) => f.formatName === "MJPG" && sized(f)) ??
    formats.find((f) => f.formatName === "YUYV" && sized(f)) ??
    largest("MJPG") ??
    largest("YUYV")
  );
}

async function* nativeFrames(device: string, options: V4l2Options): AsyncGenerator<CapturedFrame> {
  const { module } = loadV4l2Camera();
  if (!module) throw new FacefleetError("node-v4l2camera is not available");
  let camera: InstanceType<typeof module.Camera>;
  try {
    camera = new module.Camera(device);
  } catch (error) {
    throw new FacefleetError(`camera device ${device}: ${error instanceof Error ? error.message : String(error)}`);
  }
  const format = chooseFormat(camera.formats, options.width, options.height);
  if (!format) {
    const offered = [...new Set(camera.formats.map((f) => f.formatName))].join(", ") || "nothing";
    throw new FacefleetError(`camera device ${device} offers neither MJPG nor YUYV (it offers ${offered})`);
  }
  camera.configSet({ format: format.format, width: format.width, height: format.height, interval: format.interval });
  camera.start();
  const limiter = new RateLimiter(options.fps);
  let failures = 0;
  try {
    while (!options.signal?.aborted) {
      const ok = await new Promise<boolean>((resolve) => camera.capture(resolve));
      if (!ok) {
        if (++failures >= 50) throw new FacefleetError(`camera device ${device} failed 50 captures in a row`);
        continue;
      }
      failures = 0;
      if (!limiter.keep()) continue;
      const captureTime = Date.now();
      const raw = Buffer.from(camera.frameRaw());
      if (format.formatName === "MJPG") {
        const size = jpegSize(raw);
        if (size) yield { jpeg: raw, ...size, captureTime };
      } else {
        const jpeg = await yuyvToJpeg(raw, camera.width, camera.height);
        yield { jpeg, width: camera.width, height: camera.height, captureTime };
      }
    }
  } finally {
    await new Promise<void>((resolve) => camera.stop(() => resolve()));
  }
}
