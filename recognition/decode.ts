import sharp from "sharp";
import { FacefleetError } from "../cli/errors.js";
import type { RgbImage } from "./image.js";

/** The bytes could not be read as a picture (truncated, not an image, unsupported format). */
export class DecodeError extends FacefleetError {
  override readonly name = "DecodeError";
}

/** Largest picture accepted, in pixels (a 8K frame is 33 MP); guards against decompression bombs. */
const MAX_PIXELS = 40_000_000;

/**
 * Decodes JPEG, PNG or WebP (bytes or a path) into 8-bit sRGB, turned upright by its EXIF orientation,
 * alpha dropped. Truncated or corrupt input is refused rather than half-decoded.
 */
export async function decodeImage(input: Buffer | Uint8Array | string): Promise<RgbImage> {
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
    const reason = error instanceof Error ? error.message.split("\n")[0] : String(error);
    throw new DecodeError(`cannot decode image: ${reason}`);
  }
}
