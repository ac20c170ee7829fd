import assert from "node:assert/strict";
import { test } from "node:test";
import { intersectionOverUnion, nonMaximumSuppression } from "../../recognition/nms.js";

test("IoU of identical, disjoint and half-overlapping boxes", () => {
  const a = { x: 0, y: 0, width: 10, height: 10 };
  assert.equal(intersectionOverUnion(a, a), 1);
  assert.equal(intersectionOverUnion(a, { x: 20, y: 20, width: 5, height: 5 }), 0);
  assert.ok(Math.abs(intersectionOverUnion(a, { x: 5, y: 0, width: 10, height: 10 }) - 50 / 150) < 1e-12);
});

test("NMS keeps the best of an overlapping group and separate faces", () => {
  const faces = [
    { box: { x: 0, y: 0, width: 10, height: 10 }, score: 0.7 },
    { box: { x: 1, y: 1, width: 10, height: 10 }, score: 0.9 },
    { box: { x: 50, y: 50, width: 10, height: 10 }, score: 0.8 },
  ];
  const kept = nonMaximumSuppression(faces, 0.3, 10);
  assert.deepEqual(
    kept.map((f) => f.score),
    [0.9, 0.8],
  );
  assert.equal(nonMaximumSuppression(faces, 0.3, 1).length, 1);
});
