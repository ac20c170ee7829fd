import sharp from "sharp";
import type { RgbImage } from "./image.js";

/** The detector's input tensor and how to map its coordinates back to the original image. */
export type DetectorInput = {
  /** Planar BGR float32, raw 0..255, shape [1, 3, height, width]; zero padding right and bottom. */
  tensor: Float32Array;
  width: number;
  height: number;
  /** original pixel = network pixel / scale */
  scale: number;
};

/**
 * Shrinks the image so its longer side is at most `maxSide` (never enlarges), then pads it with zeros at the
 * right and bottom to `fixedSize` or to a multiple of 32, as YuNet expects.
 */
export async function prepareDetectorInput(
  image: RgbImage,
  maxSide: number,
  fixedSize: readonly [number, number] | null,
): Promise<DetectorInput> {
  const limit = fixedSize ? Math.min(fixedSize[0], fixedSize[1]) : maxSide;
  const scale = Math.min(1, limit / Math.max(image.width, image.height));
  const resizedWidth = Math.max(1, Math.round(image.width * scale));
  const resizedHeight = Math.max(1, Math.round(image.height * scale));
  const pixels =
    scale === 1
      ? image.data
      : await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
          .resize(resizedWidth, resizedHeight, { kernel: "linear", fit: "fill" })
          .raw()
          .toBuffer();
  const width = fixedSize ? fixedSize[0] : Math.ceil(resizedWidth / 32) * 32;
  const height = fixedSize ? fixedSize[1] : Math.ceil(resizedHeight / 32) * 32;
  const plane = width * height;
  const tensor = new Float32Array(3 * plane);
  for (let y = 0; y < resizedHeight; y++) {
    let source = y * resizedWidth * 3;
    let target = y * width;
    for (let x = 0; x < resizedWidth; x++, source += 3, target++) {
      tensor[target] = pixels[source + 2] as number; // B
      tensor[plane + target] = pixels[source + 1] as number; // G
      tensor[2 * plane + target] = pixels[source] as number; // R
    }
  }
  return { tensor, width, height, scale: resizedWidth / image.width };
}
