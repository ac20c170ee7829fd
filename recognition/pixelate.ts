import type { Box, RgbImage } from "./image.js";

/**
 * Pixelation of face regions (privacy: faces nobody enrolled, in the annotated output): each region, grown by
 * `margin` of its size on every side (a detector's box leaves out hair, ears and chin), is cut into `blocks` × `blocks`
 * cells (at least MIN_CELL_PX each) and every cell is filled with its mean colour. A face of 80 px becomes 8 flat cells of 14 px: the colour
 * of the skin and hair stays, no feature a person or a recognizer could use does. Returns a copy; the input is
 * not changed.
 */
export type PixelateOptions = {
  /** Cells across (and down) one region; at least 2. */
  blocks?: number;
  /** Grown by this fraction of the box's width and height on each side. */
  margin?: number;
};

export const DEFAULT_PIXEL_BLOCKS = 8;
export const DEFAULT_PIXEL_MARGIN = 0.2;
/** The smallest cell, in pixels. */
export const MIN_CELL_PX = 8;

/** The region a box covers once grown by `margin`, clamped to the picture, in whole pixels. */
export function pixelatedRegion(box: Box, width: number, height: number, margin = DEFAULT_PIXEL_MARGIN) {
  const x0 = Math.max(0, Math.floor(box.x - box.width * margin));
  const y0 = Math.max(0, Math.floor(box.y - box.height * margin));
  const x1 = Math.min(width, Math.ceil(box.x + box.width * (1 + margin)));
  const y1 = Math.min(height, Math.ceil(box.y + box.height * (1 + margin)));
  return { x0, y0, x1, y1 };
}

/** The cells a box is pixelated in: `[x0, y0, x1, y1)` each, row by row (what pixelateRegions fills). */
export function pixelCells(box: Box, width: number, height: number, options: PixelateOptions = {}): [number, number, number, number][] {
  const blocks = Math.max(2, Math.round(options.blocks ?? DEFAULT_PIXEL_BLOCKS));
  const { x0, y0, x1, y1 } = pixelatedRegion(box, width, height, options.margin ?? DEFAULT_PIXEL_MARGIN);
  if (x1 <= x0 || y1 <= y0) return [];
  // Never finer than MIN_CELL_PX: a small face gets fewer, coarser cells (and a cell spans a JPEG block).
  const cellW = Math.max(MIN_CELL_PX, Math.ceil((x1 - x0) / blocks));
  const cellH = Math.max(MIN_CELL_PX, Math.ceil((y1 - y0) / blocks));
  const cells: [number, number, number, number][] = [];
  for (let cy = y0; cy < y1; cy += cellH)
    for (let cx = x0; cx < x1; cx += cellW) cells.push([cx, cy, Math.min(x1, cx + cellW), Math.min(y1, cy + cellH)]);
  return cells;
}

export function pixelateRegions(image: RgbImage, boxes: readonly Box[], options: PixelateOptions = {}): RgbImage {
  const data = Uint8Array.from(image.data);
  const { width, height } = image;
  for (const box of boxes)
    for (const [cx0, cy0, cx1, cy1] of pixelCells(box, width, height, options)) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let y = cy0; y < cy1; y++)
        for (let x = cx0; x < cx1; x++) {
          const i = (y * width + x) * 3;
          r += data[i] as number;
          g += data[i + 1] as number;
          b += data[i + 2] as number;
        }
      const n = (cy1 - cy0) * (cx1 - cx0);
      const mean = [Math.round(r / n), Math.round(g / n), Math.round(b / n)] as const;
      for (let y = cy0; y < cy1; y++)
        for (let x = cx0; x < cx1; x++) {
          const i = (y * width + x) * 3;
          data[i] = mean[0];
          data[i + 1] = mean[1];
          data[i + 2] = mean[2];
        }
    }
  return { data, width, height };
}
