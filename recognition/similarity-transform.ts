import type { Point } from "./image.js";

/** x' = a*x - b*y + tx, y' = b*x + a*y + ty: rotation, uniform scale and translation, no shear or mirror. */
export type SimilarityTransform = { a: number; b: number; tx: number; ty: number };

/**
 * Least-squares similarity transform taking `from` onto `to` (Umeyama's method, which in 2-D has this closed
 * form when no reflection is allowed; OpenCV's face alignment uses the same estimate).
 */
export function estimateSimilarity(from: readonly Point[], to: readonly Point[]): SimilarityTransform {
  if (from.length !== to.length || from.length < 2) throw new Error("need at least two point pairs of equal count");
  const n = from.length;
  let fx = 0,
    fy = 0,
    tx = 0,
    ty = 0;
  for (let i = 0; i < n; i++) {
    fx += (from[i] as Point).x;
    fy += (from[i] as Point).y;
    tx += (to[i] as Point).x;
    ty += (to[i] as Point).y;
  }
  fx /= n;
  fy /= n;
  tx /= n;
  ty /= n;
  let dot = 0,
    cross = 0,
    norm = 0;
  for (let i = 0; i < n; i++) {
    const sx = (from[i] as Point).x - fx,
      sy = (from[i] as Point).y - fy;
    const dx = (to[i] as Point).x - tx,
      dy = (to[i] as Point).y - ty;
    dot += sx * dx + sy * dy;
    cross += sx * dy - sy * dx;
    norm += sx * sx + sy * sy;
  }
  if (norm === 0) throw new Error("source points coincide");
  const a = dot / norm;
  const b = cross / norm;
  return { a, b, tx: tx - (a * fx - b * fy), ty: ty - (b * fx + a * fy) };
}

export function applySimilarity(t: SimilarityTransform, p: Point): Point {
  return { x: t.a * p.x - t.b * p.y + t.tx, y: t.b * p.x + t.a * p.y + t.ty };
}

export function invertSimilarity(t: SimilarityTransform): SimilarityTransform {
  const d = t.a * t.a + t.b * t.b;
  const a = t.a / d;
  const b = -t.b / d;
  return { a, b, tx: -(a * t.tx - b * t.ty), ty: -(b * t.tx + a * t.ty) };
}
