/**
 * A video file as a camera: ffmpeg reads it at its native speed (`-re`), resamples to `fps` and
 * re-encodes each picture as JPEG; a Pacer evens out ffmpeg's start-up burst, so frames leave at
 * `fps` like a camera's. With `loop` the file starts over at its end, forever, inside the same ffmpeg
 * (`-stream_loop -1`): no restart pause at the seam, so a looped clip's period is the clip's length (a new
 * ffmpeg per loop added ~0.5-1 s, which pushed the demo's returning people past the 10 s visit gap).
 */
import { statSync } from "node:fs";
import { FacefleetError } from "../../core/errors.js";
import { ffmpegFrames, jpegPipeOutput } from "./ffmpeg-frames.js";
import type { CapturedFrame, SourceOptions } from "./frame.js";
import { Pacer } from "./pacer.js";

export type VideoFileOptions = SourceOptions & { fps: number; loop?: boolean; quality?: number };

export function assertReadableFile(path: string, what: string): void {
  let stat: ReturnType<typeof statSync>;
  try {
    stat = statSync(path);
  } catch {
    throw new FacefleetError(`${what} ${path} not found`);
  }
  if (!stat.isFile()) throw new FacefleetError(`${what} ${path} is not a file`);
}

export async function* videoFileSource(path: string, options: VideoFileOptions): AsyncGenerator<CapturedFrame> {
  assertReadableFile(path, "video file");
  const input = [...(options.loop ? ["-stream_loop", "-1"] : []), "-re", "-i", path];
  const pacer = new Pacer(options.fps);
  do {
    let frames = 0;
    for await (const frame of ffmpegFrames(input, jpegPipeOutput(options.fps, options.quality), options.signal)) {
      frames++;
      if (!(await pacer.wait(options.signal))) return;
      yield { ...frame, captureTime: Date.now() };
    }
    if (frames === 0 && !options.signal?.aborted) throw new FacefleetError(`video file ${path} has no picture ffmpeg could decode`);
    // With -stream_loop ffmpeg ends only on an error or a signal; a file it cannot loop is read again.
  } while (options.loop && !options.signal?.aborted);
}
