import sharp from "sharp";
import type { Point, RgbImage } from "./image.js";

/**
 * The square of side `side` (original pixels) centred on `centre`, resized to `size` x `size` with sharp's
 * linear kernel (as the detector's own input), the part outside the picture black; `mirror` flips it left to right.
 */
export async function squareCrop(image: RgbImage, centre: Point, side: number, size: number, mirror = false): Promise<RgbImage> {
  const whole = Math.max(1, Math.round(side));
  const left = Math.round(centre.x - whole / 2);
  const top = Math.round(centre.y - whole / 2);
  const x0 = Math.max(0, left);
  const y0 = Math.max(0, top);
  const x1 = Math.min(image.width, left + whole);
  const y1 = Math.min(image.height, top + whole);
  if (x1 <= x0 || y1 <= y0) return { data: new Uint8Array(size * size * 3), width: size, height: size };
  const scale = size / whole;
  // The part inside the picture, resized, then padded with black to size x size where it is placed.
  const innerWidth = Math.min(size, Math.max(1, Math.round((x1 - x0) * scale)));
  const innerHeight = Math.min(size, Math.max(1, Math.round((y1 - y0) * scale)));
  const padLeft = Math.min(size - innerWidth, Math.round((x0 - left) * scale));
  const padTop = Math.min(size - innerHeight, Math.round((y0 - top) * scale));
  const pixels = await sharp(image.data, { raw: { width: image.width, height: image.height, channels: 3 } })
    .extract({ left: x0, top: y0, width: x1 - x0, height: y1 - y0 })
    .resize(innerWidth, innerHeight, { kernel: "linear", fit: "fill" })
    .extend({
      left: padLeft,
      top: padTop,
      right: size - innerWidth - padLeft,
      bottom: size - innerHeight - padTop,
      background: { r: 0, g: 0, b: 0 },
    })
    .raw()
    .toBuffer();
  const data = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  if (!mirror) return { data, width: size, height: size };
  // Mirrored here, not with sharp's flop: sharp flips before it resizes and pads, whatever the call order.
  const mirrored = new Uint8Array(data.length);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const from = (y * size + x) * 3;
      const to = (y * size + (size - 1 - x)) * 3;
      mirrored[to] = data[from] as number;
      mirrored[to + 1] = data[from + 1] as number;
      mirrored[to + 2] = data[from + 2] as number;
    }
  }
  return { data: mirrored, width: size, height: size };
}
