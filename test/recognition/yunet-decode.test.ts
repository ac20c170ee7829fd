import assert from "node:assert/strict";
import { test } from "node:test";
import type { Box } from "../../recognition/image.js";
import { decodeYunet, rescaleFace } from "../../recognition/yunet-decode.js";

function assertBoxClose(actual: Box, expected: Box) {
  for (const key of ["x", "y", "width", "height"] as const)
    assert.ok(Math.abs(actual[key] - expected[key]) < 1e-5, `${key}: ${actual[key]} != ${expected[key]}`);
}

/** Outputs for a 64x32 input with one anchor lit at stride 16, row 1, column 2. */
function syntheticOutputs() {
  const outputs: Record<string, Float32Array> = {};
  for (const stride of [8, 16, 32]) {
    const n = (64 / stride) * (32 / stride);
    outputs[`cls_${stride}`] = new Float32Array(n);
    outputs[`obj_${stride}`] = new Float32Array(n);
    outputs[`bbox_${stride}`] = new Float32Array(n * 4);
    outputs[`kps_${stride}`] = new Float32Array(n * 10);
  }
  const index = 1 * 4 + 2; // cols = 64/16 = 4
  (outputs.cls_16 as Float32Array)[index] = 0.81;
  (outputs.obj_16 as Float32Array)[index] = 1.2; // clamped to 1
  (outputs.bbox_16 as Float32Array).set([0.5, 0.25, Math.log(2), 0], index * 4);
  (outputs.kps_16 as Float32Array).set([0.1, 0.2, 0.9, 0.2, 0.5, 0.5, 0.2, 0.8, 0.8, 0.8], index * 10);
  return outputs;
}

test("YuNet decoding: score = sqrt(cls*obj), box and landmarks from the anchor grid", () => {
  const faces = decodeYunet(syntheticOutputs(), 64, 32, 0.5);
  assert.equal(faces.length, 1);
  const face = faces[0];
  assert.ok(face);
  assert.ok(Math.abs(face.score - 0.9) < 1e-6);
  // centre ((2 + 0.5) * 16, (1 + 0.25) * 16) = (40, 20); size (2*16, 1*16)
  assertBoxClose(face.box, { x: 24, y: 12, width: 32, height: 16 });
  assert.ok(Math.abs(face.landmarks[0].x - (2 + 0.1) * 16) < 1e-5);
  assert.ok(Math.abs(face.landmarks[4].y - (1 + 0.8) * 16) < 1e-5);
  assert.equal(decodeYunet(syntheticOutputs(), 64, 32, 0.95).length, 0);
});

test("rescaling maps network pixels back to the original picture", () => {
  const [face] = decodeYunet(syntheticOutputs(), 64, 32, 0.5);
  assert.ok(face);
  const original = rescaleFace(face, 0.5);
  assertBoxClose(original.box, { x: 48, y: 24, width: 64, height: 32 });
});
