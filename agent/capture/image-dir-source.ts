/**
 * A directory of pictures as a camera: JPEG files are sent as they are, other formats (PNG, WebP,
 * TIFF, ...) are re-encoded to JPEG with sharp; one picture per tick at `fps`, in name order,
 * forever with `loop`. Files that cannot be read as pictures are skipped and reported.
 */
import { readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import sharp from "sharp";
import { FacefleetError } from "../../core/errors.js";
import type { CapturedFrame, SourceOptions } from "./frame.js";
import { jpegSize } from "./frame-size.js";
import { Pacer } from "./pacer.js";

export type ImageDirOptions = SourceOptions & {
  fps: number;
  loop?: boolean;
  quality?: number;
  /** A picture that could not be used (with the reason); the source goes on. */
  onSkip?: (path: string, reason: string) => void;
};

const pictureExtensions = /\.(jpe?g|png|webp|tiff?|gif|avif)$/i;

export function listPictures(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new FacefleetError(`${dir} is not a directory`);
    names = readdirSync(dir);
  } catch (error) {
    if (error instanceof FacefleetError) throw error;
    throw new FacefleetError(`image directory ${dir} not found`);
  }
  const files = names
    .filter((n) => pictureExtensions.test(n))
    .sort()
    .map((n) => join(dir, n));
  if (files.length === 0) throw new FacefleetError(`image directory ${dir} has no JPEG/PNG/WebP pictures`);
  return files;
}

/** A picture file as a JPEG frame (captureTime is set when it is yielded). */
export async function pictureAsJpeg(path: string, quality = 85): Promise<Omit<CapturedFrame, "captureTime">> {
  const bytes = await readFile(path);
  const size = jpegSize(bytes);
  if (size !== undefined) return { jpeg: bytes, ...size };
  const { data, info } = await sharp(bytes).rotate().jpeg({ quality }).toBuffer({ resolveWithObject: true });
  return { jpeg: data, width: info.width, height: info.height };
}

export async function* imageDirSource(dir: string, options: ImageDirOptions): AsyncGenerator<CapturedFrame> {
  const files = listPictures(dir);
  const pacer = new Pacer(options.fps);
  do {
    let good = 0;
    for (const path of files) {
      let picture: Omit<CapturedFrame, "captureTime">;
      try {
        picture = await pictureAsJpeg(path, options.quality);
      } catch (error) {
        options.onSkip?.(path, error instanceof Error ? (error.message.split("\n")[0] ?? "unreadable") : String(error));
        continue;
      }
      good++;
      if (!(await pacer.wait(options.signal))) return;
      yield { ...picture, captureTime: Date.now() };
    }
    if (good === 0) throw new FacefleetError(`no picture in ${dir} could be read`);
  } while (options.loop && !options.signal?.aborted);
}
