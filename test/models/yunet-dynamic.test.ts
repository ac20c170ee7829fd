import assert from "node:assert/strict";
import { test } from "node:test";
import { getDetector } from "../../models/manifest.js";
import { openModelSession } from "../../models/model-session.js";
import { decodeImage } from "../../recognition/decode.js";
import { createFaceDetector } from "../../recognition/face-detector.js";
import { exampleImage, examplesDir, testModelDirs } from "../../testing/paths.js";

const options = { dirs: testModelDirs, executionProvider: "cpu" as const, threads: 1 };
const fixed = createFaceDetector(await openModelSession(getDetector("yunet-2023mar"), options));
const dynamic = createFaceDetector(await openModelSession(getDetector("yunet-2023mar-dynamic"), options));

test("the dynamic YuNet export finds the same faces as the official fixed-640 file", async () => {
  const pictures = [
    exampleImage("two_people.jpg"),
    exampleImage("obama.jpg"),
    exampleImage("knn_examples/test/obama_and_biden.jpg"),
    `${examplesDir}/tests/test_images/32bit.png`,
  ];
  for (const path of pictures) {
    const image = await decodeImage(path);
    const a = await fixed.detect(image);
    const b = await dynamic.detect(image);
    assert.equal(a.length, b.length, path);
    a.forEach((face, i) => {
      const other = b[i];
      assert.ok(other);
      // Both shrink the picture to 640 px on its longer side; only the zero padding differs (to 640 vs to a
      // multiple of 32), which moves scores and boxes by a hair.
      assert.ok(Math.abs(face.score - other.score) < 0.01, `${path}: score ${face.score} vs ${other.score}`);
      for (const key of ["x", "y", "width", "height"] as const) assert.ok(Math.abs(face.box[key] - other.box[key]) < 3, `${path}: ${key}`);
    });
  }
});

test("identical input gives bit-identical outputs from both files", async () => {
  const image = await decodeImage(exampleImage("obama-480p.jpg"));
  // A square 640 input: both models see exactly the same tensor.
  const square = { data: new Uint8Array(640 * 640 * 3), width: 640, height: 640 };
  for (let y = 0; y < Math.min(640, image.height); y++)
    square.data.set(image.data.subarray(y * image.width * 3, y * image.width * 3 + Math.min(640, image.width) * 3), y * 640 * 3);
  const a = await fixed.detect(square);
  const b = await dynamic.detect(square);
  assert.ok(a.length > 0);
  assert.deepEqual(a, b);
});
