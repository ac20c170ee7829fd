/**
 * Runs ffmpeg with an input that it decodes to a stream of JPEGs on stdout
 * (`-f image2pipe -c:v mjpeg`), and yields whole pictures with their size and capture time.
 * Shared by the video file, V4L2 (ffmpeg path) and RTSP sources.
 */
import { spawn } from "node:child_process";
import { FacefleetError } from "../../core/errors.js";
import { ffmpegPath } from "../../media/ffmpeg-path.js";
import type { CapturedFrame } from "./frame.js";
import { jpegSize } from "./frame-size.js";
import { JpegSplitter } from "./jpeg-stream.js";

export { ffmpegPath };

/** Output side shared by every ffmpeg source: frame rate filter, MJPEG quality, pipe. */
export function jpegPipeOutput(fps: number | undefined, quality = 5): string[] {
  const filters = fps === undefined ? [] : ["-vf", `fps=${fps}`];
  return ["-an", "-sn", ...filters, "-c:v", "mjpeg", "-q:v", String(quality), "-f", "image2pipe", "pipe:1"];
}

/** ffmpeg ended without being asked to: its exit code and the last meaningful stderr line. */
export class FfmpegExit extends FacefleetError {
  constructor(
    readonly code: number | null,
    readonly lastLine: string,
    readonly frames: number,
  ) {
    super(`ffmpeg exited with ${code === null ? "a signal" : `code ${code}`}${lastLine ? `: ${lastLine}` : ""}`);
  }
}

/**
 * Yields the pictures of one ffmpeg run. Returns normally when ffmpeg exits 0 (end of a file);
 * throws FfmpegExit otherwise. Breaking out of the loop or aborting the signal kills ffmpeg.
 */
export async function* ffmpegFrames(inputArgs: string[], outputArgs: string[], signal?: AbortSignal): AsyncGenerator<CapturedFrame> {
  if (signal?.aborted) return;
  const child = spawn(ffmpegPath(), ["-hide_banner", "-nostdin", "-loglevel", "error", ...inputArgs, ...outputArgs], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8");
  child.stderr.on("data", (d: string) => {
    stderr = (stderr + d).slice(-4000);
  });
  const exited = new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once("error", (error) => resolve({ code: null, error }));
    child.once("close", (code) => resolve({ code }));
  });
  const onAbort = () => child.kill("SIGKILL");
  signal?.addEventListener("abort", onAbort, { once: true });
  const splitter = new JpegSplitter();
  let frames = 0;
  try {
    for await (const chunk of child.stdout) {
      for (const jpeg of splitter.push(chunk as Buffer)) {
        const size = jpegSize(jpeg);
        if (size === undefined) continue;
        frames++;
        yield { jpeg, width: size.width, height: size.height, captureTime: Date.now() };
      }
    }
    const { code, error } = await exited;
    if (signal?.aborted) return;
    if (error) {
      const missing = (error as NodeJS.ErrnoException).code === "ENOENT";
      throw new FacefleetError(
        missing ? `ffmpeg not found (tried '${ffmpegPath()}'): install ffmpeg or set FACEFLEET_FFMPEG` : error.message,
      );
    }
    if (code !== 0) throw new FfmpegExit(code, lastLine(stderr), frames);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
}

function lastLine(text: string): string {
  const lines = text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "");
  return lines[lines.length - 1] ?? "";
}
