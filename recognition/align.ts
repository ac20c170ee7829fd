import type { DetectedFace } from "./face.js";
import type { Point, RgbImage } from "./image.js";
import { applySimilarity, estimateSimilarity, invertSimilarity } from "./similarity-transform.js";

export type AlignmentSpec = { size: number; template: readonly (readonly [number, number])[] };

/**
 * Cuts a size x size crop in which the face's 5 landmarks land on the recognizer's template points:
 * similarity transform of the landmarks onto the template, then bilinear sampling of the original picture
 * (pixels outside it are black), like OpenCV's warpAffine with INTER_LINEAR and a constant border.
 */
export function alignFace(image: RgbImage, landmarks: DetectedFace["landmarks"], spec: AlignmentSpec): RgbImage {
  const template: Point[] = spec.template.map(([x, y]) => ({ x, y }));
  const toSource = invertSimilarity(estimateSimilarity(landmarks, template));
  const { size } = spec;
  const out = new Uint8Array(size * size * 3);
  const { width, height, data } = image;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const s = applySimilarity(toSource, { x, y });
      const x0 = Math.floor(s.x);
      const y0 = Math.floor(s.y);
      const fx = s.x - x0;
      const fy = s.y - y0;
      const target = (y * size + x) * 3;
      for (let c = 0; c < 3; c++) {
        const p00 = x0 >= 0 && y0 >= 0 && x0 < width && y0 < height ? (data[(y0 * width + x0) * 3 + c] as number) : 0;
        const p10 = x0 + 1 >= 0 && y0 >= 0 && x0 + 1 < width && y0 < height ? (data[(y0 * width + x0 + 1) * 3 + c] as number) : 0;
        const p01 = x0 >= 0 && y0 + 1 >= 0 && x0 < width && y0 + 1 < height ? (data[((y0 + 1) * width + x0) * 3 + c] as number) : 0;
        const p11 =
          x0 + 1 >= 0 && y0 + 1 >= 0 && x0 + 1 < width && y0 + 1 < height ? (data[((y0 + 1) * width + x0 + 1) * 3 + c] as number) : 0;
        const top = p00 + (p10 - p00) * fx;
        const bottom = p01 + (p11 - p01) * fx;
        out[target + c] = Math.round(top + (bottom - top) * fy);
      }
    }
  }
  return { data: out, width: size, height: size };
}
