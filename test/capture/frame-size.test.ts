import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import sharp from "sharp";
import { jpegSize } from "../../agent/capture/frame-size.js";
import { JpegSplitter } from "../../agent/capture/jpeg-stream.js";
import { yuyvToJpeg, yuyvToRgb } from "../../agent/capture/yuyv.js";
import { exampleImage } from "../../testing/paths.js";

const solid = (width: number, height: number, progressive = false) =>
  sharp({ create: { width, height, channels: 3, background: { r: 200, g: 40, b: 90 } } })
    .jpeg({ progressive, quality: 80 })
    .toBuffer();

test("jpegSize reads the SOF of baseline and progressive JPEGs", async () => {
  assert.deepEqual(jpegSize(await solid(641, 359)), { width: 641, height: 359 });
  assert.deepEqual(jpegSize(await solid(17, 4000, true)), { width: 17, height: 4000 });
  for (const name of ["obama.jpg", "two_people.jpg", "obama-1080p.jpg"]) {
    const bytes = readFileSync(exampleImage(name));
    const meta = await sharp(bytes).metadata();
    assert.deepEqual(jpegSize(bytes), { width: meta.width, height: meta.height }, name);
  }
});

test("jpegSize skips APP segments (EXIF) and fill bytes", async () => {
  const withExif = await sharp(await solid(300, 200))
    .withMetadata({ exif: { IFD0: { Copyright: "x".repeat(5000) } } })
    .jpeg()
    .toBuffer();
  assert.deepEqual(jpegSize(withExif), { width: 300, height: 200 });
  const plain = await solid(64, 48);
  const filled = Buffer.concat([plain.subarray(0, 2), Buffer.from([0xff, 0xff, 0xff]), plain.subarray(2)]);
  assert.deepEqual(jpegSize(filled), { width: 64, height: 48 });
});

test("jpegSize: not a JPEG, truncated, or no SOF gives undefined", async () => {
  const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: "#fff" } })
    .png()
    .toBuffer();
  assert.equal(jpegSize(png), undefined);
  assert.equal(jpegSize(Buffer.from([0xff, 0xd8])), undefined);
  assert.equal(jpegSize((await solid(64, 48)).subarray(0, 10)), undefined);
  assert.equal(jpegSize(Buffer.from([0xff, 0xd8, 0xff, 0xd9])), undefined);
  assert.equal(jpegSize(Buffer.alloc(0)), undefined);
});

test("JpegSplitter cuts a byte stream into whole pictures, whatever the chunking", async () => {
  const pictures = [await solid(32, 24), await solid(50, 10, true), readFileSync(exampleImage("obama_small.jpg"))];
  const stream = Buffer.concat([Buffer.from("junk"), ...pictures, pictures[0] as Buffer]);
  for (const chunkSize of [1, 7, 1000, stream.length]) {
    const splitter = new JpegSplitter();
    const out: Buffer[] = [];
    for (let i = 0; i < stream.length; i += chunkSize) out.push(...splitter.push(stream.subarray(i, i + chunkSize)));
    assert.equal(out.length, 4, `chunk ${chunkSize}`);
    assert.ok(out[0]?.equals(pictures[0] as Buffer));
    assert.ok(out[1]?.equals(pictures[1] as Buffer));
    assert.ok(out[2]?.equals(pictures[2] as Buffer));
    assert.equal(splitter.skippedBytes, 4);
    assert.equal(splitter.pending, 0);
  }
});

test("JpegSplitter drops a picture cut off by the next SOI and keeps going", async () => {
  const a = await solid(40, 30);
  const b = await solid(20, 10);
  const splitter = new JpegSplitter();
  const out = splitter.push(Buffer.concat([a.subarray(0, 200), b]));
  assert.equal(out.length, 1);
  assert.ok(out[0]?.equals(b));
});

test("YUYV frames convert to RGB (BT.601) and to a JPEG of the camera's size", async () => {
  // 4x2 pixels: black, white, mid grey, and a saturated red pair.
  const yuyv = Uint8Array.from([16, 128, 16, 128, 235, 128, 235, 128, 126, 128, 126, 128, 81, 90, 81, 240]);
  const rgb = yuyvToRgb(yuyv, 4, 2);
  assert.deepEqual([...rgb.subarray(0, 3)], [0, 0, 0]);
  assert.deepEqual([...rgb.subarray(6, 9)], [255, 255, 255]);
  assert.ok(Math.abs((rgb[12] as number) - 128) <= 1 && rgb[12] === rgb[13] && rgb[13] === rgb[14]);
  const [r, g, b] = [...rgb.subarray(18, 21)] as [number, number, number];
  assert.ok(r > 240 && g < 15 && b < 15, `red came out as ${r},${g},${b}`);
  assert.throws(() => yuyvToRgb(yuyv, 3, 2), /even/);
  assert.throws(() => yuyvToRgb(yuyv, 4, 4), /needs 32 bytes/);

  const width = 64;
  const height = 48;
  const frame = new Uint8Array(width * height * 2).fill(128);
  const jpeg = await yuyvToJpeg(frame, width, height);
  assert.deepEqual(jpegSize(jpeg), { width, height });
  const { info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
  assert.equal(info.width, width);
});
