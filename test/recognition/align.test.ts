import assert from "node:assert/strict";
import { test } from "node:test";
import { alignFace } from "../../recognition/align.js";
import type { DetectedFace } from "../../recognition/face.js";
import { applySimilarity, estimateSimilarity, invertSimilarity } from "../../recognition/similarity-transform.js";

const template: [number, number][] = [
  [38.2946, 51.6963],
  [73.5318, 51.5014],
  [56.0252, 71.7366],
  [41.5493, 92.3655],
  [70.7299, 92.2041],
];

test("similarity estimate recovers a known rotation, scale and shift", () => {
  const truth = { a: 2 * Math.cos(0.3), b: 2 * Math.sin(0.3), tx: 10, ty: -4 };
  const from = template.map(([x, y]) => ({ x, y }));
  const to = from.map((p) => applySimilarity(truth, p));
  const t = estimateSimilarity(from, to);
  for (const key of ["a", "b", "tx", "ty"] as const) assert.ok(Math.abs(t[key] - truth[key]) < 1e-9, key);
  const back = applySimilarity(invertSimilarity(t), to[2] as { x: number; y: number });
  const [nx, ny] = template[2] as [number, number];
  assert.ok(Math.abs(back.x - nx) < 1e-9 && Math.abs(back.y - ny) < 1e-9);
});

test("alignment of known landmarks gives the expected crop (golden values)", () => {
  // A 224x224 picture whose pixel (x, y) has R = x, G = y, B = 7. The landmarks are the template scaled
  // by 2 and shifted by (10, 20), so the crop must sample source pixel (2u + 10, 2v + 20) at crop (u, v).
  const width = 224;
  const height = 224;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data.set([x, y, 7], (y * width + x) * 3);
  const landmarks = template.map(([x, y]) => ({ x: 2 * x + 10, y: 2 * y + 20 })) as DetectedFace["landmarks"];
  const crop = alignFace({ data, width, height }, landmarks, { size: 112, template });
  assert.equal(crop.width, 112);
  const pixel = (u: number, v: number) => Array.from(crop.data.subarray((v * 112 + u) * 3, (v * 112 + u) * 3 + 3));
  assert.deepEqual(pixel(0, 0), [10, 20, 7]);
  assert.deepEqual(pixel(50, 40), [110, 100, 7]);
  assert.deepEqual(pixel(100, 60), [210, 140, 7]);
  // Source (2*111 + 10 = 232) lies outside the 224-px picture: black, as warpAffine's constant border.
  assert.deepEqual(pixel(111, 111), [0, 0, 0]);
});
