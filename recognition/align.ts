import type { DetectedFace } from "./face.js";
import type { Point, RgbImage } from "./image.js";
import { estimateSimilarity, invertSimilarity } from "./similarity-transform.js";

export type AlignmentSpec = { size: number; template: readonly (readonly [number, number])[] };

/**
 * Cuts a size x size crop in which the face's 5 landmarks land on the recognizer's template points:
 * similarity transform of the landmarks onto the template, then bilinear sampling of the original picture
 * (pixels outside it are black), like OpenCV's warpAffine with INTER_LINEAR and a constant border.
 */
export function alignFace(image: RgbImage, landmarks: DetectedFace["landmarks"], spec: AlignmentSpec): RgbImage {
  const template: Point[] = spec.template.map(([x, y]) => ({ x, y }));
  const { a, b, tx, ty } = invertSimilarity(estimateSimilarity(landmarks, template));
  const { size } = spec;
  const out = new Uint8Array(size * size * 3);
  const { width, height, data } = image;
  const stride = width * 3;
  // Crop pixel (x, y) samples the picture at (a x - b y + tx, b x + a y + ty): step along a row by (a, b).
  for (let y = 0; y < size; y++) {
    let sx = -b * y + tx;
    let sy = a * y + ty;
    let target = y * size * 3;
    for (let x = 0; x < size; x++, sx += a, sy += b, target += 3) {
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const fx = sx - x0;
      const fy = sy - y0;
      if (x0 >= 0 && y0 >= 0 && x0 + 1 < width && y0 + 1 < height) {
        const i00 = y0 * stride + x0 * 3;
        const i10 = i00 + 3;
        const i01 = i00 + stride;
        const i11 = i01 + 3;
        for (let c = 0; c < 3; c++) {
          const top = (data[i00 + c] as number) + ((data[i10 + c] as number) - (data[i00 + c] as number)) * fx;
          const bottom = (data[i01 + c] as number) + ((data[i11 + c] as number) - (data[i01 + c] as number)) * fx;
          out[target + c] = Math.round(top + (bottom - top) * fy);
        }
        continue;
      }
      // Near or past the border: pixels outside the picture are black.
      const inside = (px: number, py: number) => px >= 0 && py >= 0 && px < width && py < height;
      for (let c = 0; c < 3; c++) {
        const p00 = inside(x0, y0) ? (data[y0 * stride + x0 * 3 + c] as number) : 0;
        const p10 = inside(x0 + 1, y0) ? (data[y0 * stride + (x0 + 1) * 3 + c] as number) : 0;
        const p01 = inside(x0, y0 + 1) ? (data[(y0 + 1) * stride + x0 * 3 + c] as number) : 0;
        const p11 = inside(x0 + 1, y0 + 1) ? (data[(y0 + 1) * stride + (x0 + 1) * 3 + c] as number) : 0;
        const top = p00 + (p10 - p00) * fx;
        const bottom = p01 + (p11 - p01) * fx;
        out[target + c] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return { data: out, width: size, height: size };
}
