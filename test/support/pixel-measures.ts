/**
 * Measures of an annotated frame's face regions for the privacy tests (test/agent/privacy-*.test.ts): how flat the
 * cells a face was pixelated in are (recognition/pixelate.ts pixelCells), and how much two pictures differ inside a
 * face's box (clear of the outline annotate.ts draws).
 */
import sharp from "sharp";
import type { Detection } from "../../protocol/detection.js";
import type { RgbImage } from "../../recognition/image.js";
import { pixelCells } from "../../recognition/pixelate.js";

export type Face = Detection["faces"][number];

export const decode = async (jpeg: Buffer): Promise<RgbImage> => {
  const { data, info } = await sharp(jpeg).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height };
};

/** The inside of a face's box, clear of the drawn outline (a few pixels in from each side). */
export function inside(face: Face, image: RgbImage) {
  const [x, y, w, h] = face.box;
  const inset = Math.max(4, Math.round(Math.min(image.width, image.height) / 150));
  return {
    x0: Math.max(0, Math.ceil(x + inset)),
    y0: Math.max(0, Math.ceil(y + inset)),
    x1: Math.min(image.width, Math.floor(x + w - inset)),
    y1: Math.min(image.height, Math.floor(y + h - inset)),
  };
}

/**
 * The mean standard deviation of the pixels of each cell the face was pixelated in (pixelCells), leaving out cells
 * the drawn outline or label crosses: about 0 for a flat cell (JPEG noise), the picture's texture for a plain one.
 */
export function cellDeviation(image: RgbImage, face: Face, others: readonly Face[], blocks: number): number {
  const [x, y, w, h] = face.box;
  const box = { x, y, width: w, height: h };
  const outline = Math.max(4, Math.round(Math.min(image.width, image.height) / 150));
  const crossesOutline = (c: [number, number, number, number]) =>
    [x, x + w].some((edge) => c[0] - outline < edge && edge < c[2] + outline) ||
    [y, y + h].some((edge) => c[1] - outline < edge && edge < c[3] + outline);
  // What annotate.ts draws for the other faces: their outline and their label (one line of text above or below).
  const label = Math.max(12, Math.round(Math.min(image.width, image.height) / 40)) + 6;
  const drawn = others.map((o) => {
    const labelWidth = Math.round(`${o.identity} 0.00`.length * (label - 6) * 0.62) + 8;
    return [
      o.box[0] - outline,
      o.box[1] - label - outline,
      Math.max(o.box[0] + o.box[2], o.box[0] + labelWidth) + outline,
      o.box[1] + o.box[3] + label + outline,
    ];
  });
  const overlapsDrawn = (c: [number, number, number, number]) =>
    drawn.some((d) => c[0] < (d[2] as number) && (d[0] as number) < c[2] && c[1] < (d[3] as number) && (d[1] as number) < c[3]);
  let sum = 0;
  let cells = 0;
  for (const cell of pixelCells(box, image.width, image.height, { blocks })) {
    // Only cells inside the box clear of its outline (the label is drawn above or below the box).
    if (cell[0] < x || cell[2] > x + w || cell[1] < y || cell[3] > y + h || crossesOutline(cell) || overlapsDrawn(cell)) continue;
    for (let c = 0; c < 3; c++) {
      let s = 0;
      let s2 = 0;
      let n = 0;
      for (let py = cell[1]; py < cell[3]; py++)
        for (let px = cell[0]; px < cell[2]; px++) {
          const v = image.data[(py * image.width + px) * 3 + c] as number;
          s += v;
          s2 += v * v;
          n++;
        }
      sum += Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
      cells++;
    }
  }
  return cells === 0 ? Number.NaN : sum / cells;
}

/** Mean absolute difference of two pictures in a region. */
export function difference(a: RgbImage, b: RgbImage, r: ReturnType<typeof inside>): number {
  let sum = 0;
  let n = 0;
  for (let y = r.y0; y < r.y1; y++)
    for (let x = r.x0; x < r.x1; x++)
      for (let c = 0; c < 3; c++) {
        const i = (y * a.width + x) * 3 + c;
        sum += Math.abs((a.data[i] as number) - (b.data[i] as number));
        n++;
      }
  return n === 0 ? 0 : sum / n;
}
