/**
 * YUYV 4:2:2 (V4L2_PIX_FMT_YUYV: Y0 U Y1 V per two pixels) to JPEG, for V4L2 cameras that do not
 * offer MJPEG. BT.601 limited range, integer arithmetic.
 */
import sharp from "sharp";

export function yuyvToRgb(yuyv: Uint8Array, width: number, height: number): Buffer {
  if (width % 2 !== 0) throw new Error(`YUYV width must be even, got ${width}`);
  const expected = width * height * 2;
  if (yuyv.length < expected) throw new Error(`YUYV frame of ${width}x${height} needs ${expected} bytes, got ${yuyv.length}`);
  const rgb = Buffer.alloc(width * height * 3);
  for (let src = 0, dst = 0; src < expected; src += 4, dst += 6) {
    const u = (yuyv[src + 1] as number) - 128;
    const v = (yuyv[src + 3] as number) - 128;
    const ruv = 409 * v;
    const guv = -100 * u - 208 * v;
    const buv = 516 * u;
    for (let k = 0; k < 2; k++) {
      const c = 298 * ((yuyv[src + k * 2] as number) - 16);
      const o = dst + k * 3;
      rgb[o] = clamp((c + ruv + 128) >> 8);
      rgb[o + 1] = clamp((c + guv + 128) >> 8);
      rgb[o + 2] = clamp((c + buv + 128) >> 8);
    }
  }
  return rgb;
}

export async function yuyvToJpeg(yuyv: Uint8Array, width: number, height: number, quality = 85): Promise<Buffer> {
  return sharp(yuyvToRgb(yuyv, width, height), { raw: { width, height, channels: 3 } })
    .jpeg({ quality })
    .toBuffer();
}

function clamp(x: number): number {
  return Math.max(0, Math.min(255, x));
}
