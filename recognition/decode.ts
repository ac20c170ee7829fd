import { stat } from "node:fs/promises";
import sharp from "sharp";
import { FacefleetError } from "../core/errors.js";
import type { RgbImage } from "./image.js";

/** The bytes could not be read as a picture (missing, empty, truncated, not an image, unsupported format, too large). */
export class DecodeError extends FacefleetError {
  override readonly name = "DecodeError";
}

/**
 * Largest picture accepted, in pixels: a 50 MP phone photo (8160x6120) and a 108 MP one decode; a
 * decompression bomb (a few bytes that claim gigapixels) is refused from its header, before any pixel is
 * decoded. The decoded picture takes 3 bytes a pixel (330 MB at the limit); detection works on a copy
 * shrunk to --detect-size, so the limit bounds the memory of one picture. Measured: a 50 MP JPEG adds
 * about 160 MB of resident memory and takes 0.6 s to decode and analyse on the build machine.
 */
export const MAX_PIXELS = 110_000_000;

/** Why a picture file cannot be opened, in words, or undefined when it is a non-empty file. */
async function fileProblem(path: string): Promise<string | undefined> {
  try {
    const info = await stat(path);
    if (info.isDirectory()) return "is a directory, not a picture";
    if (info.size === 0) return "the file is empty";
    return undefined;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === "ENOENT" ? "file not found" : `cannot read the file (${code ?? String(error)})`;
  }
}

/** The one-line reason for a picture over MAX_PIXELS, naming its size. */
async function oversizeReason(input: Buffer | Uint8Array | string): Promise<string> {
  const { width = 0, height = 0 } = await sharp(input, { limitInputPixels: false }).metadata();
  const megapixels = (n: number) => `${Math.round(n / 1e5) / 10} MP`;
  return `the picture is ${width}x${height} (${megapixels(width * height)}), larger than the ${megapixels(MAX_PIXELS)} limit`;
}

/** What a picture's own header says (format, stored size, EXIF orientation), read without decoding a pixel. */
export type PictureHeader = { format: string; width: number; height: number; orientation: number };

/** Reads the header of a picture in memory; DecodeError when the bytes are no picture sharp knows. */
export async function readPictureHeader(input: Buffer | Uint8Array): Promise<PictureHeader> {
  if (input.length === 0) throw new DecodeError("cannot decode image: no bytes (empty picture)");
  try {
    const { format, width = 0, height = 0, orientation = 1 } = await sharp(input, { limitInputPixels: false }).metadata();
    return { format: format ?? "unknown", width, height, orientation };
  } catch (error) {
    const reason = error instanceof Error ? (error.message.split("\n")[0] ?? error.name) : String(error);
    throw new DecodeError(`cannot decode image: ${reason}`);
  }
}

/**
 * Decodes JPEG, PNG or WebP (bytes or a path) into 8-bit sRGB, turned upright by its EXIF orientation,
 * alpha dropped. Truncated or corrupt input is refused rather than half-decoded.
 */
export async function decodeImage(input: Buffer | Uint8Array | string): Promise<RgbImage> {
  const problem = typeof input === "string" ? await fileProblem(input) : input.length === 0 ? "no bytes (empty picture)" : undefined;
  if (problem) throw new DecodeError(`cannot decode image: ${problem}`);
  try {
    const { data, info } = await sharp(input, { failOn: "truncated", limitInputPixels: MAX_PIXELS })
      .rotate()
      .toColourspace("srgb")
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    if (info.channels !== 3) throw new Error(`expected 3 channels, got ${info.channels}`);
    return { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength), width: info.width, height: info.height };
  } catch (error) {
    let reason = error instanceof Error ? (error.message.split("\n")[0] ?? error.name) : String(error);
    if (/exceeds pixel limit/.test(reason)) reason = await oversizeReason(input).catch(() => reason);
    throw new DecodeError(`cannot decode image: ${reason}`);
  }
}
