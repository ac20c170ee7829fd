import type { Point, RgbImage } from "./image.js";

/** For each output pixel along one axis: the source pixels it covers and their weights (summing to 1). */
type Taps = { index: Int32Array; weight: Float32Array; start: Int32Array };

/**
 * Resampling weights from `side` source pixels starting at `origin` to `size` output pixels: the exact area
 * average when shrinking (each output pixel averages the source span it covers), linear interpolation between
 * pixel centres when enlarging. Source pixels outside [0, limit) get no tap (they are black).
 */
function taps(origin: number, side: number, size: number, limit: number): Taps {
  const step = side / size;
  const index: number[] = [];
  const weight: number[] = [];
  const start = new Int32Array(size + 1);
  for (let o = 0; o < size; o++) {
    start[o] = index.length;
    if (step >= 1) {
      const a = origin + o * step;
      const b = a + step;
      for (let i = Math.floor(a); i < b; i++) {
        const w = (Math.min(b, i + 1) - Math.max(a, i)) / step;
        if (w > 0 && i >= 0 && i < limit) {
          index.push(i);
          weight.push(w);
        }
      }
    } else {
      const s = origin + (o + 0.5) * step - 0.5;
      const i = Math.floor(s);
      const f = s - i;
      if (i >= 0 && i < limit) {
        index.push(i);
        weight.push(1 - f);
      }
      if (i + 1 >= 0 && i + 1 < limit && f > 0) {
        index.push(i + 1);
        weight.push(f);
      }
    }
  }
  start[size] = index.length;
  return { index: Int32Array.from(index), weight: Float32Array.from(weight), start };
}

/**
 * The square of side `side` (original pixels) centred on `centre`, resampled to `size` x `size` (area average
 * when shrinking, so a large face is not aliased), the part outside the picture black; `mirror` flips it left
 * to right. Plain TypeScript: for one small square this is several times faster than a sharp pipeline.
 */
export function squareCrop(image: RgbImage, centre: Point, side: number, size: number, mirror = false): RgbImage {
  const { width, data } = image;
  const columns = taps(centre.x - side / 2, side, size, width);
  const rows = taps(centre.y - side / 2, side, size, image.height);
  // Rows first: each output row is a weighted sum of source rows, resampled along x.
  const out = new Uint8Array(size * size * 3);
  const line = new Float32Array(size * 3);
  for (let y = 0; y < size; y++) {
    line.fill(0);
    for (let r = rows.start[y] as number; r < (rows.start[y + 1] as number); r++) {
      const rowBase = (rows.index[r] as number) * width * 3;
      const wy = rows.weight[r] as number;
      for (let x = 0; x < size; x++) {
        let red = 0;
        let green = 0;
        let blue = 0;
        for (let c = columns.start[x] as number; c < (columns.start[x + 1] as number); c++) {
          const p = rowBase + (columns.index[c] as number) * 3;
          const wx = columns.weight[c] as number;
          red += (data[p] as number) * wx;
          green += (data[p + 1] as number) * wx;
          blue += (data[p + 2] as number) * wx;
        }
        const target = (mirror ? size - 1 - x : x) * 3;
        line[target] = (line[target] as number) + red * wy;
        line[target + 1] = (line[target + 1] as number) + green * wy;
        line[target + 2] = (line[target + 2] as number) + blue * wy;
      }
    }
    const base = y * size * 3;
    for (let i = 0; i < size * 3; i++) out[base + i] = Math.min(255, Math.round(line[i] as number));
  }
  return { data: out, width: size, height: size };
}
