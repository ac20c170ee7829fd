import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";
import sharp from "sharp";
import { decodeImage } from "../../recognition/decode.js";
import { exampleImage, examplesDir } from "../../testing/paths.js";

test("EXIF orientation is applied: a picture stored sideways decodes upright", async () => {
  const stored = await sharp({ create: { width: 40, height: 20, channels: 3, background: "#000" } })
    .jpeg()
    .withMetadata({ orientation: 6 })
    .toBuffer();
  const image = await decodeImage(stored);
  assert.deepEqual([image.width, image.height], [20, 40]);
});

test("PNG with alpha (32-bit) and WebP decode to 3-channel RGB", async () => {
  const png = await decodeImage(`${examplesDir}/tests/test_images/32bit.png`);
  assert.equal(png.data.length, png.width * png.height * 3);
  const webp = await sharp(exampleImage("obama-240p.jpg")).webp().toBuffer();
  const decoded = await decodeImage(webp);
  assert.equal(decoded.data.length, decoded.width * decoded.height * 3);
});

test("truncated JPEG and random bytes are refused with a one-line reason", async () => {
  const bytes = await readFile(exampleImage("obama.jpg"));
  await assert.rejects(decodeImage(bytes.subarray(0, 5000)), /^DecodeError: cannot decode image: /);
  await assert.rejects(
    decodeImage(Buffer.from("definitely not a picture")),
    (e: Error) => e.message.startsWith("cannot decode image") && !e.message.includes("\n"),
  );
});
