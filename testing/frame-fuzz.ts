/**
 * A seeded generator of bad (and some good) records for facefleet.frames: random bytes, truncated and bit-flipped
 * JPEGs, JPEGs over the size limit, JPEGs and PNGs that claim gigapixels (decompression bombs), pictures whose
 * headers name the wrong size or format, missing / duplicate / oversized / invalid headers, junk headers by the
 * thousand, a wrong or missing key, empty values. The same seed gives the same records, so a failure of the fuzz
 * test or of `npm run bench:fuzz` reproduces from the seed and the case index it reports.
 *
 * Each case says what the agent must do with it: a detection (a valid frame), a DLQ record of one of some stages,
 * or either (a flipped byte may or may not leave a decodable picture), never nothing and never both.
 */
import { deflateSync } from "node:zlib";
import type { IHeaders } from "kafkajs";
import sharp from "sharp";
import { encodeFrameHeaders } from "../protocol/frame-headers.js";

export type FuzzStage = "headers" | "decode" | "size" | "process";

export type FuzzExpectation = { outcome: "detection"; minFaces: number } | { outcome: "dlq"; stages: FuzzStage[] } | { outcome: "either" };

export type FuzzRecord = { key: Buffer | string | null; value: Buffer | null; headers: IHeaders };

export type FuzzCase = { index: number; kind: FuzzKind; record: FuzzRecord; expect: FuzzExpectation };

/** A picture with faces the agent must find, and its true size. */
export type FuzzPicture = { jpeg: Buffer; width: number; height: number; faces: number };

/** What the generator mutates: real pictures, and the agent's limits the cases are sized against. */
export type FuzzAssets = {
  pictures: FuzzPicture[];
  /** The agent's worker.maxFrameBytes: an oversized JPEG is made larger than this. */
  maxFrameBytes: number;
  /** A noisy real JPEG a little larger than maxFrameBytes (well below the broker's 1 MB record limit). */
  hugeJpeg: Buffer;
  /** A 1-bit PNG of 20000x20000 pixels (400 MP) in a few tens of KB. */
  pngBomb: Buffer;
  /** A 1-bit PNG of 9000x9000 (81 MP: under the decoder's own limit, so only the frame checks stop it). */
  pngLarge: Buffer;
};

export const FUZZ_KINDS = [
  "valid",
  "valid-extra-headers",
  "random-bytes",
  "truncated-jpeg",
  "flipped-bytes",
  "oversized-jpeg",
  "jpeg-claims-gigapixels",
  "png-bomb",
  "png-large",
  "wrong-dimensions",
  "huge-dimensions-header",
  "missing-header",
  "duplicate-header",
  "oversized-header",
  "invalid-header-value",
  "junk-headers",
  "wrong-key",
  "no-key",
  "empty-value",
  "null-value",
] as const;
export type FuzzKind = (typeof FUZZ_KINDS)[number];

/** How often each kind is drawn (relative). Valid frames are interleaved throughout. */
const WEIGHTS: Record<FuzzKind, number> = {
  valid: 14,
  "valid-extra-headers": 3,
  "random-bytes": 8,
  "truncated-jpeg": 8,
  "flipped-bytes": 6,
  "oversized-jpeg": 1,
  "jpeg-claims-gigapixels": 4,
  "png-bomb": 3,
  "png-large": 2,
  "wrong-dimensions": 6,
  "huge-dimensions-header": 4,
  "missing-header": 8,
  "duplicate-header": 6,
  "oversized-header": 5,
  "invalid-header-value": 10,
  "junk-headers": 2,
  "wrong-key": 4,
  "no-key": 3,
  "empty-value": 2,
  "null-value": 2,
};

export const FUZZ_CAMERA = "fuzz-cam";
const HEADER_NAMES = ["schema-version", "camera", "seq", "capture-time", "width", "height", "format", "producer"] as const;
/** Values each header must refuse (z.coerce.number takes "" as 0 and " 7 " as 7: none of those here). */
const INVALID_VALUES: Record<(typeof HEADER_NAMES)[number], string[]> = {
  "schema-version": ["2", "0", "v1", "1.5", "-1"],
  camera: [""],
  seq: ["-1", "1.5", "abc", "1e400", "NaN", "9".repeat(400)],
  "capture-time": ["0", "-5", "NaN", "yesterday", "Infinity"],
  width: ["0", "-640", "abc", "640.5", "1e400"],
  height: ["0", "-360", "tall", "360.25", "Infinity"],
  format: ["png", "JPEG", "", "jpeg ", "webp"],
  producer: [""],
};

/** mulberry32: a small, fast, seeded 32-bit generator (deterministic across machines). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Draw {
  constructor(readonly random: () => number) {}
  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.random() * items.length)] as T;
  }
  bytes(n: number): Buffer {
    const out = Buffer.alloc(n);
    for (let i = 0; i < n; i++) out[i] = Math.floor(this.random() * 256);
    return out;
  }
  text(n: number): string {
    const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.";
    let s = "";
    for (let i = 0; i < n; i++) s += alphabet[Math.floor(this.random() * alphabet.length)];
    return s;
  }
}

/** A 1-bit greyscale PNG of width x height, all black: its rows deflate to almost nothing. */
export function pngOfZeros(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 1; // bit depth
  ihdr[9] = 0; // greyscale
  const row = 1 + Math.ceil(width / 8); // filter byte + packed pixels
  const raw = Buffer.alloc(row * height); // zeros: filter "none", black pixels
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

let crcTable: Uint32Array | undefined;
function crc32(bytes: Buffer): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (const b of bytes) crc = (crcTable[(crc ^ b) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The JPEG with its frame header (SOF0/SOF2) rewritten to claim width x height; the scan data stays as it was. */
export function jpegClaimingSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  for (let i = 2; i + 9 < out.length; ) {
    if (out[i] !== 0xff) break;
    const marker = out[i + 1] as number;
    const length = out.readUInt16BE(i + 2);
    if (marker === 0xc0 || marker === 0xc1 || marker === 0xc2) {
      out.writeUInt16BE(height, i + 5);
      out.writeUInt16BE(width, i + 7);
      return out;
    }
    i += 2 + length;
  }
  throw new Error("no SOF marker found in the JPEG");
}

/** The assets for `generateFuzzCases`: the pictures as given, the huge JPEG and the PNGs made from the seed. */
export async function makeFuzzAssets(pictures: FuzzPicture[], maxFrameBytes: number, seed: number): Promise<FuzzAssets> {
  const draw = new Draw(seededRandom(seed ^ 0x5eed));
  // Noise does not compress: a noisy JPEG grows with its area. Grow it until it is over the limit.
  let side = 256;
  let hugeJpeg = Buffer.alloc(0);
  while (hugeJpeg.length <= maxFrameBytes) {
    side = Math.round(side * 1.1);
    hugeJpeg = await sharp(draw.bytes(side * side * 3), { raw: { width: side, height: side, channels: 3 } })
      .jpeg({ quality: 95 })
      .toBuffer();
  }
  return { pictures, maxFrameBytes, hugeJpeg, pngBomb: pngOfZeros(20_000, 20_000), pngLarge: pngOfZeros(9000, 9000) };
}

function pickKind(draw: Draw): FuzzKind {
  const total = Object.values(WEIGHTS).reduce((a, b) => a + b, 0);
  let at = draw.random() * total;
  for (const kind of FUZZ_KINDS) {
    at -= WEIGHTS[kind];
    if (at < 0) return kind;
  }
  return "valid";
}

/** `count` cases from `seed`, case i always the same for the same seed and assets (also when count differs). */
export function* generateFuzzCases(seed: number, count: number, assets: FuzzAssets): Generator<FuzzCase> {
  for (let index = 0; index < count; index++) {
    const draw = new Draw(seededRandom((seed * 0x9e3779b1 + index) >>> 0));
    const kind = index < 2 ? "valid" : pickKind(draw); // the first frames are good: the agent has warmed up
    yield { index, kind, ...makeCase(kind, index, draw, assets) };
  }
}

function makeCase(kind: FuzzKind, seq: number, draw: Draw, assets: FuzzAssets): Omit<FuzzCase, "index" | "kind"> {
  const picture = draw.pick(assets.pictures);
  const captureTime = 1_700_000_000_000 + seq * 100;
  const headersFor = (size: { width: number; height: number } = picture): Record<string, string | string[] | Buffer> =>
    encodeFrameHeaders({ camera: FUZZ_CAMERA, seq, "capture-time": captureTime, ...size, format: "jpeg", producer: "fuzz" });
  const record = (value: Buffer | null, headers = headersFor(), key: Buffer | string | null = FUZZ_CAMERA): FuzzRecord => ({
    key,
    value,
    headers,
  });
  const dlq = (...stages: FuzzStage[]): FuzzExpectation => ({ outcome: "dlq", stages });
  switch (kind) {
    case "valid":
      return { record: record(picture.jpeg), expect: { outcome: "detection", minFaces: picture.faces } };
    case "valid-extra-headers": {
      const headers = headersFor();
      for (let i = draw.int(1, 5); i > 0; i--) headers[`x-${draw.text(draw.int(1, 20))}`] = draw.text(draw.int(0, 200));
      return { record: record(picture.jpeg, headers), expect: { outcome: "detection", minFaces: picture.faces } };
    }
    case "random-bytes":
      return { record: record(draw.bytes(draw.int(1, 8000))), expect: dlq("decode") };
    case "truncated-jpeg": {
      const cut = draw.int(Math.floor(picture.jpeg.length * 0.05), Math.floor(picture.jpeg.length * 0.9));
      return { record: record(picture.jpeg.subarray(0, cut)), expect: dlq("decode") };
    }
    case "flipped-bytes": {
      const bytes = Buffer.from(picture.jpeg);
      for (let i = draw.int(1, 40); i > 0; i--) bytes[draw.int(2, bytes.length - 1)] = draw.int(0, 255);
      return { record: record(bytes), expect: { outcome: "either" } };
    }
    case "oversized-jpeg":
      return { record: record(assets.hugeJpeg, headersFor({ width: 1, height: 1 })), expect: dlq("size") };
    case "jpeg-claims-gigapixels": {
      const width = draw.int(20_000, 65_535);
      const height = draw.int(20_000, 65_535);
      const bomb = jpegClaimingSize(picture.jpeg, width, height);
      // Headers that tell the truth about the claim, or that name the real picture's size.
      return { record: record(bomb, draw.random() < 0.5 ? headersFor({ width, height }) : headersFor()), expect: dlq("size", "decode") };
    }
    case "png-bomb":
      return {
        record: record(assets.pngBomb, draw.random() < 0.5 ? headersFor({ width: 20_000, height: 20_000 }) : headersFor()),
        expect: dlq("size", "decode"),
      };
    case "png-large":
      // The format header says jpeg: a PNG is not what was promised, however well it decodes.
      return { record: record(assets.pngLarge, headersFor({ width: 9000, height: 9000 })), expect: dlq("size", "decode") };
    case "wrong-dimensions": {
      // Headers that name a picture narrower or lower than the one sent (a smaller picture than its headers
      // say is taken: the headers are a bound, agent/worker/frame-picture.ts).
      const size =
        draw.random() < 0.5
          ? { width: Math.max(1, picture.width - draw.int(1, 300)), height: picture.height + draw.int(0, 50) }
          : { width: picture.width + draw.int(0, 50), height: Math.max(1, picture.height - draw.int(1, 200)) };
      return { record: record(picture.jpeg, headersFor(size)), expect: dlq("decode") };
    }
    case "huge-dimensions-header":
      return {
        record: record(picture.jpeg, headersFor({ width: draw.int(10_000, 2 ** 31), height: draw.int(10_000, 2 ** 31) })),
        expect: dlq("size"),
      };
    case "missing-header": {
      const headers = headersFor();
      const name = draw.pick(HEADER_NAMES);
      delete headers[name];
      return { record: record(picture.jpeg, headers), expect: dlq("headers") };
    }
    case "duplicate-header": {
      const headers = headersFor();
      const name = draw.pick(HEADER_NAMES);
      const other = draw.pick([...INVALID_VALUES[name], draw.text(draw.int(1, 12)), String(draw.int(1, 99999))]);
      const first = headers[name] as string;
      headers[name] = draw.random() < 0.5 ? [first, other] : [other, first];
      return { record: record(picture.jpeg, headers), expect: dlq("headers") };
    }
    case "oversized-header": {
      const headers = headersFor();
      const name = draw.pick(["camera", "producer", "format", "seq"] as const);
      const value = name === "seq" ? "1".repeat(draw.int(400, 60_000)) : draw.text(draw.int(200, 60_000));
      headers[name] = value;
      return { record: record(picture.jpeg, headers, name === "camera" ? value : FUZZ_CAMERA), expect: dlq("headers") };
    }
    case "invalid-header-value": {
      const headers = headersFor();
      const name = draw.pick(HEADER_NAMES);
      const value = draw.pick(INVALID_VALUES[name]);
      headers[name] = value;
      return { record: record(picture.jpeg, headers, name === "camera" ? value : FUZZ_CAMERA), expect: dlq("headers") };
    }
    case "junk-headers": {
      // Thousands of headers and no camera: the DLQ record must still fit the broker.
      const headers = headersFor();
      delete headers.camera;
      for (let i = draw.int(500, 3000); i > 0; i--) headers[`${i}-${draw.text(draw.int(1, 30))}`] = draw.bytes(draw.int(0, 16));
      return { record: record(picture.jpeg, headers), expect: dlq("headers") };
    }
    case "wrong-key":
      return {
        record: record(picture.jpeg, headersFor(), draw.random() < 0.5 ? draw.bytes(draw.int(1, 64)) : "another-cam"),
        expect: dlq("headers"),
      };
    case "no-key":
      return { record: record(picture.jpeg, headersFor(), null), expect: dlq("headers") };
    case "empty-value":
      return { record: record(Buffer.alloc(0)), expect: dlq("decode") };
    case "null-value":
      return { record: record(null), expect: dlq("decode") };
  }
}
