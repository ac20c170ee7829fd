/**
 * Bad input, command by command: a missing file, a directory without pictures, an empty file, a
 * truncated JPEG, a 50-megapixel picture, a 1x1 picture, a gallery from another recognizer, a corrupt
 * gallery, an unreachable broker. Each row runs the real CLI and checks the exit status, that stderr is
 * one line naming the file or field (no stack trace), and that no output file was created or changed.
 *
 * What a user gets (and why):
 * - A 1x1 picture is a valid picture with no face in it: identify and annotate succeed with 0 faces (as for
 *   a photo of a wall); enroll and train reject it ("no face found") and, with nothing usable, fail.
 * - A 50 MP picture (a phone photo) is processed: decoding takes 3 bytes a pixel and detection works on a
 *   copy shrunk to --detect-size. Over 110 MP (a decompression bomb claims gigapixels in a few bytes) a
 *   picture is refused from its header, naming its size.
 * - A directory without pictures is "no pictures in DIR", exit 1 (nothing to do, not a malformed command).
 * - identify keeps going past an unreadable picture: one line per picture, a summary line on stderr, exit 1.
 * - An unreachable broker is one line naming the address, within a few seconds (kafka/broker-reachable.ts),
 *   and enroll --publish checks it before it enrolls, so the gallery file is not written.
 */
import assert from "node:assert/strict";
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { crc32, deflateSync } from "node:zlib";
import sharp from "sharp";
import { getRecognizer, loadManifest } from "../../models/manifest.js";
import { serializeGallery } from "../../recognition/gallery.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { runCli } from "../support/run-cli.js";

useTestModels();
const work = await mkdtemp(join(tmpdir(), "facefleet-bad-input-"));
const at = (...parts: string[]) => join(work, ...parts);

// --- inputs -------------------------------------------------------------------------------------------
const missing = at("missing.jpg");
const noPictures = at("no-pictures");
mkdirSync(noPictures);
writeFileSync(join(noPictures, "notes.txt"), "not a picture\n");
const empty = at("empty.jpg");
writeFileSync(empty, "");
const truncated = at("truncated.jpg");
const original = readFileSync(exampleImage("obama.jpg"));
writeFileSync(truncated, original.subarray(0, Math.floor(original.length / 3)));
const tiny = at("tiny.png");
await sharp({ create: { width: 1, height: 1, channels: 3, background: "#808080" } })
  .png()
  .toFile(tiny);
/** 8660x5780 (50.1 MP) JPEG with Obama's face (about 620 px wide) in it. */
const huge = at("huge.jpg");
const face = await sharp(exampleImage("obama.jpg")).resize({ height: 2890, kernel: "nearest" }).raw().toBuffer({ resolveWithObject: true });
await sharp(face.data, { raw: face.info })
  .extend({ left: 3000, right: 8660 - 3000 - face.info.width, top: 1500, bottom: 5780 - 1500 - 2890, background: "#808080" })
  .jpeg({ quality: 70 })
  .toFile(huge);
/** A PNG whose header claims 20000x20000 pixels (400 MP) in 70 bytes: refused before decoding. */
const bomb = at("bomb.png");
const chunk = (type: string, data: Buffer) => {
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), 8 + data.length);
  return out;
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(20000, 0);
ihdr.writeUInt32BE(20000, 4);
ihdr.set([8, 2, 0, 0, 0], 8);
writeFileSync(
  bomb,
  Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.alloc(1))),
    chunk("IEND", Buffer.alloc(0)),
  ]),
);

/** DIR/<identity>/<picture> with one picture, for enroll and train. */
const folderWith = (name: string, picture: string) => {
  const dir = at(`people-${name}`);
  mkdirSync(join(dir, "someone"), { recursive: true });
  copyFileSync(picture, join(dir, "someone", picture.endsWith(".png") ? "face.png" : "face.jpg"));
  return dir;
};
const people = {
  empty: folderWith("empty", empty),
  truncated: folderWith("truncated", truncated),
  tiny: folderWith("tiny", tiny),
  huge: folderWith("huge", huge),
  fine: folderWith("fine", exampleImage("obama_small.jpg")),
};

// Galleries: a valid one for the loaded recognizer, the same made with another recognizer, and broken JSON.
const manifest = loadManifest();
const loaded = getRecognizer(manifest.defaults.recognizer.fp32, manifest);
const otherId = Object.keys(manifest.models).find((id) => {
  const m = manifest.models[id] as { role: string; family?: string };
  return m.role === "recognizer" && m.family !== loaded.family;
});
assert.ok(otherId, "the manifest lists a recognizer of another family");
const other = getRecognizer(otherId, manifest);
const galleryText = (recognizer: { family: string; id: string; embeddingSize: number }) =>
  serializeGallery({
    recognizer: { family: recognizer.family, modelId: recognizer.id, embeddingSize: recognizer.embeddingSize },
    version: 3,
    updatedAt: "2026-01-01T00:00:00.000Z",
    identities: [
      {
        name: "someone",
        embeddings: [{ vector: new Float32Array(recognizer.embeddingSize).fill(1 / Math.sqrt(recognizer.embeddingSize)), source: "x.jpg" }],
      },
    ],
  });
/** A fresh copy per row: rows run concurrently and some must leave their gallery unchanged. */
let copies = 0;
const gallery = (kind: "good" | "foreign" | "corrupt") => {
  const path = at(`gallery-${kind}-${++copies}.json`);
  if (kind === "good") writeFileSync(path, galleryText(loaded));
  else if (kind === "foreign") writeFileSync(path, galleryText(other));
  else writeFileSync(path, '{"format": "facefleet-gallery", "identities": [');
  return path;
};
const corruptConfig = at("corrupt-config.json");
writeFileSync(corruptConfig, '{"agentId": "x", "kafka": ');
const badModels = at("bad-models");
mkdirSync(badModels);
writeFileSync(join(badModels, "yunet_s_dynamic.onnx"), "");

/** A port nothing listens on: bound, then closed. */
const closedPort = await new Promise<number>((resolve) => {
  const server = createServer().listen(0, "127.0.0.1", () => {
    const { port } = server.address() as { port: number };
    server.close(() => resolve(port));
  });
});
const unreachable = `127.0.0.1:${closedPort}`;
const out = (name: string) => at("out", name);

// --- the table ----------------------------------------------------------------------------------------
type Row = {
  /** what is run, and on which bad input */
  name: string;
  args: string[];
  code: number;
  /** the one line on stderr; null: stderr stays empty */
  stderr: RegExp | null;
  stdout?: RegExp;
  /** files that must not exist afterwards */
  absent?: string[];
  /** files that must hold the same bytes afterwards */
  unchanged?: string[];
  /**
   * The broker rows. kafkajs alone retries a refused connection for 8-11 s; the probe answers in well under a
   * second (0.3-1 s for the whole command on a quiet machine). The bound is loose because the test machines are
   * shared; the message itself comes only from the probe (kafka/broker-reachable.ts).
   */
  withinSeconds?: number;
};

const g = () => gallery("good");
const rows: Row[] = [];
const add = (row: Row) => rows.push(row);

// identify: each picture alone, then all at once (one model load, one line per picture)
add({
  name: "identify: missing file",
  args: ["identify", missing, "--gallery", g()],
  code: 1,
  stderr: /1 of 1 picture\(s\) could not be read/,
  stdout: /missing\.jpg: error: cannot decode image: file not found/,
});
add({
  name: "identify: directory without pictures",
  args: ["identify", noPictures, "--gallery", g()],
  code: 1,
  stderr: /no pictures in .*no-pictures$/,
});
add({
  name: "identify: empty file",
  args: ["identify", empty, "--gallery", g()],
  code: 1,
  stderr: /could not be read/,
  stdout: /empty\.jpg: error: cannot decode image: the file is empty/,
});
add({
  name: "identify: 1x1 picture (no face, not an error)",
  args: ["identify", tiny, "--gallery", g()],
  code: 0,
  stderr: null,
  stdout: /tiny\.png: 0 face\(s\)\n$/,
});
add({
  name: "identify: gallery from another recognizer",
  args: ["identify", tiny, "--gallery", gallery("foreign")],
  code: 1,
  stderr: new RegExp(`gallery .*gallery-foreign-\\d+\\.json was made with recognizer ${otherId}.*re-enroll`),
});
add({
  name: "identify: corrupt gallery JSON",
  args: ["identify", tiny, "--gallery", gallery("corrupt")],
  code: 1,
  stderr: /gallery .*gallery-corrupt-\d+\.json is not valid JSON/,
});
add({
  name: "identify: corrupt classifier JSON",
  args: ["identify", tiny, "--classifier", gallery("corrupt")],
  code: 1,
  stderr: /classifier .*gallery-corrupt-\d+\.json: not valid JSON/,
});
add({
  name: "identify: model file that fails its sha256",
  args: ["identify", tiny, "--gallery", g(), "--models", badModels],
  code: 1,
  stderr: /model file .*bad-models\/yunet_s_dynamic\.onnx has sha256 .*refusing to load it/,
});

// enroll: nothing usable -> exit 1 and no gallery; a bad existing gallery stays as it was
add({
  name: "enroll: missing directory",
  args: ["enroll", at("missing-dir"), "--gallery", out("e1.json")],
  code: 1,
  stderr: /cannot read directory .*missing-dir: ENOENT/,
  absent: [out("e1.json")],
});
add({
  name: "enroll: directory without pictures",
  args: ["enroll", noPictures, "--gallery", out("e2.json")],
  code: 1,
  stderr: /no pictures in .*no-pictures/,
  absent: [out("e2.json")],
});
for (const [input, dir, reason] of [
  ["empty file", people.empty, /the file is empty/],
  ["truncated JPEG", people.truncated, /premature end of JPEG|truncated/],
  ["1x1 picture", people.tiny, /no face found/],
] as const) {
  const target = out(`enroll-${input.replace(/\W/g, "")}.json`);
  add({
    name: `enroll: ${input}`,
    args: ["enroll", dir, "--gallery", target],
    code: 1,
    stderr: new RegExp(`no picture in .* could be enrolled \\(.*someone/face\\.(jpg|png): .*(?:${reason.source}).*\\); .* was not created`),
    stdout: /rejected 1 picture\(s\):/,
    absent: [target],
  });
}
const keptGallery = g();
add({
  name: "enroll: truncated JPEG into an existing gallery",
  args: ["enroll", people.truncated, "--gallery", keptGallery],
  code: 1,
  stderr: /could be enrolled .* is unchanged$/,
  unchanged: [keptGallery],
});
add({
  name: "enroll: 50 MP picture is enrolled",
  args: ["enroll", people.huge, "--gallery", out("huge.json"), "--json"],
  code: 0,
  stderr: null,
  stdout: /"identities":\[\{"name":"someone","images":1\}\],"rejected":\[\]/,
});
const foreignForEnroll = gallery("foreign");
add({
  name: "enroll: gallery from another recognizer",
  args: ["enroll", people.fine, "--gallery", foreignForEnroll],
  code: 1,
  stderr: /was made with recognizer .*re-enroll with this model/,
  unchanged: [foreignForEnroll],
});
const corruptForEnroll = gallery("corrupt");
add({
  name: "enroll: corrupt gallery JSON",
  args: ["enroll", people.fine, "--gallery", corruptForEnroll],
  code: 1,
  stderr: /gallery .* is not valid JSON/,
  unchanged: [corruptForEnroll],
});
add({
  name: "enroll --publish: unreachable broker (checked before enrolling)",
  args: ["enroll", people.fine, "--gallery", out("pub.json"), "--publish", "--brokers", unreachable],
  code: 1,
  stderr: new RegExp(`cannot reach the Kafka broker at ${unreachable} \\(connection refused\\)`),
  absent: [out("pub.json")],
  withinSeconds: 10,
});

// train
add({
  name: "train: missing directory",
  args: ["train", at("missing-dir"), "--classifier", out("c1.json")],
  code: 1,
  stderr: /cannot read directory .*missing-dir/,
  absent: [out("c1.json")],
});
add({
  name: "train: directory without pictures",
  args: ["train", noPictures, "--classifier", out("c2.json")],
  code: 1,
  stderr: /no pictures in .*no-pictures/,
  absent: [out("c2.json")],
});
add({
  name: "train: truncated JPEG",
  args: ["train", people.truncated, "--classifier", out("c3.json")],
  code: 1,
  stderr:
    /needs at least 2 identities .* found 0 .*1 picture\(s\) rejected \(.*face\.jpg: cannot decode image: .*\); .*c3\.json was not written/,
  absent: [out("c3.json")],
});

// annotate: one picture, -o never half-written
for (const [input, picture, reason] of [
  ["missing file", missing, /file not found/],
  ["directory", noPictures, /is a directory, not a picture/],
  ["empty file", empty, /the file is empty/],
  ["truncated JPEG", truncated, /premature end of JPEG|truncated/],
  ["400 MP header (decompression bomb)", bomb, /the picture is 20000x20000 \(400 MP\), larger than the 110 MP limit/],
] as const) {
  const target = out(`annotate-${input.replace(/\W/g, "")}.jpg`);
  add({
    name: `annotate: ${input}`,
    args: ["annotate", picture, "--gallery", g(), "-o", target],
    code: 1,
    stderr: new RegExp(
      `${picture.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}: cannot decode image: .*(?:${reason.source})[^;]*; .* was not written`,
    ),
    absent: [target],
  });
}
add({
  name: "annotate: 1x1 picture",
  args: ["annotate", tiny, "--gallery", g(), "-o", out("tiny-annotated.png")],
  code: 0,
  stderr: null,
  stdout: /0 face\(s\) drawn/,
});
add({
  name: "annotate: gallery from another recognizer",
  args: ["annotate", tiny, "--gallery", gallery("foreign"), "-o", out("a-foreign.jpg")],
  code: 1,
  stderr: /was made with recognizer/,
  absent: [out("a-foreign.jpg")],
});
add({
  name: "annotate: corrupt gallery JSON",
  args: ["annotate", tiny, "--gallery", gallery("corrupt"), "-o", out("a-corrupt.jpg")],
  code: 1,
  stderr: /is not valid JSON/,
  absent: [out("a-corrupt.jpg")],
});

// gallery, topics, tail, produce: files first, then the broker
add({
  name: "gallery push: missing gallery",
  args: ["gallery", "push", "--gallery", at("none.json"), "--brokers", unreachable],
  code: 1,
  stderr: /cannot read gallery .*none\.json: ENOENT/,
});
add({
  name: "gallery push: corrupt gallery JSON",
  args: ["gallery", "push", "--gallery", gallery("corrupt"), "--brokers", unreachable],
  code: 1,
  stderr: /gallery .* is not valid JSON/,
});
add({
  name: "gallery push: empty file",
  args: ["gallery", "push", "--gallery", empty, "--brokers", unreachable],
  code: 1,
  stderr: /gallery .*empty\.jpg is not valid JSON/,
});
const brokerLine = new RegExp(`^facefleet \\w+: cannot reach the Kafka broker at ${unreachable} \\(connection refused\\)$`);
add({
  name: "gallery push: unreachable broker",
  args: ["gallery", "push", "--gallery", g(), "--brokers", unreachable],
  code: 1,
  stderr: brokerLine,
  withinSeconds: 10,
});
add({
  name: "gallery remove: unreachable broker",
  args: ["gallery", "remove", "someone", "--brokers", unreachable],
  code: 1,
  stderr: brokerLine,
  withinSeconds: 10,
});
add({
  name: "gallery list: unreachable broker",
  args: ["gallery", "list", "--brokers", unreachable],
  code: 1,
  stderr: brokerLine,
  withinSeconds: 10,
});
add({
  name: "topics ensure: unreachable broker",
  args: ["topics", "ensure", "--brokers", unreachable],
  code: 1,
  stderr: brokerLine,
  withinSeconds: 10,
});
add({
  name: "topics ensure: corrupt config JSON",
  args: ["topics", "ensure", "--config", corruptConfig],
  code: 2,
  stderr: /config file .*corrupt-config\.json is not valid JSON/,
});
add({
  name: "tail: unreachable broker",
  args: ["tail", "events", "--brokers", unreachable],
  code: 1,
  stderr: brokerLine,
  withinSeconds: 10,
});
const stateDir = at("capture-state");
add({
  name: "produce: unreachable broker",
  args: [
    "produce",
    "--camera",
    "door",
    "--source",
    join(people.tiny, "someone"),
    "--brokers",
    unreachable,
    "--max-frames",
    "1",
    "--state-dir",
    stateDir,
  ],
  code: 1,
  stderr: brokerLine,
  withinSeconds: 10,
});
add({
  name: "produce: missing source",
  args: ["produce", "--camera", "door", "--source", at("missing.mp4"), "--state-dir", stateDir],
  code: 1,
  stderr: /source file .*missing\.mp4 not found/,
});
add({
  name: "produce: directory without pictures",
  args: ["produce", "--camera", "door", "--source", noPictures, "--state-dir", stateDir],
  code: 1,
  stderr: /image directory .*no-pictures has no JPEG\/PNG\/WebP pictures/,
});

// services and tools: their config files
add({
  name: "agent: missing config",
  args: ["agent", "--config", at("none.json")],
  code: 1,
  stderr: /cannot read agent config .*none\.json: ENOENT/,
});
add({
  name: "agent: corrupt config JSON",
  args: ["agent", "--config", corruptConfig],
  code: 1,
  stderr: /agent config .*corrupt-config\.json is not valid JSON/,
});
add({
  name: "agent: config is a directory",
  args: ["agent", "--config", noPictures],
  code: 1,
  stderr: /cannot read agent config .*no-pictures: EISDIR/,
});
add({
  name: "coordinator: missing config",
  args: ["coordinator", "--config", at("none.json")],
  code: 1,
  stderr: /cannot read coordinator config .*none\.json: ENOENT/,
});
add({
  name: "coordinator: corrupt config JSON",
  args: ["coordinator", "--config", corruptConfig],
  code: 1,
  stderr: /coordinator config .*corrupt-config\.json is not valid JSON/,
});
add({
  name: "doctor: corrupt config JSON",
  args: ["doctor", "--config", corruptConfig],
  code: 1,
  stderr: /agent config .*corrupt-config\.json is not valid JSON/,
});
add({
  name: "models verify: a model file that fails its sha256 (the report is the output)",
  args: ["models", "verify", "--models", badModels],
  code: 1,
  stderr: null,
  stdout: /MISMATCH yunet-2023mar-dynamic .*yunet_s_dynamic\.onnx/,
});
add({ name: "models fetch: unknown model", args: ["models", "fetch", "no-such-model"], code: 2, stderr: /unknown model 'no-such-model'/ });
add({
  name: "kafka status: --data-dir is a file",
  args: ["kafka", "status", "--data-dir", empty],
  code: 2,
  stderr: /--data-dir .*empty\.jpg is not a directory/,
});
add({
  name: "kafka up: port out of range",
  args: ["kafka", "up", "--port", "99999"],
  code: 2,
  stderr: /--port must be between 1 and 65535/,
});

describe("bad input: one line on stderr, the right exit status, nothing half-written", { concurrency: 3 }, () => {
  for (const row of rows) {
    it(row.name, { timeout: 60_000 }, async () => {
      const before = new Map((row.unchanged ?? []).map((path) => [path, readFileSync(path)]));
      const started = performance.now();
      const result = await runCli(row.args);
      const seconds = (performance.now() - started) / 1000;
      const context = `${row.args.join(" ")}\nstdout: ${result.stdout}\nstderr: ${result.stderr}`;
      assert.equal(result.code, row.code, context);
      assert.doesNotMatch(result.stderr, /^\s+at /m, `no stack trace: ${context}`);
      if (row.stderr === null) assert.equal(result.stderr, "", context);
      else {
        assert.equal(result.stderr.trimEnd().split("\n").length, 1, `one line: ${context}`);
        assert.match(result.stderr.trimEnd(), row.stderr, context);
      }
      if (row.stdout) assert.match(result.stdout, row.stdout, context);
      for (const path of row.absent ?? []) assert.equal(existsSync(path), false, `${path} must not exist: ${context}`);
      for (const [path, bytes] of before) assert.deepEqual(readFileSync(path), bytes, `${path} must be unchanged`);
      if (row.withinSeconds !== undefined) assert.ok(seconds < row.withinSeconds, `took ${seconds.toFixed(1)} s: ${context}`);
    });
  }

  it("identify: all the bad pictures in one run: one JSON line each, the readable ones still analysed", { timeout: 60_000 }, async () => {
    const images = [missing, empty, truncated, huge, tiny, bomb];
    const result = await runCli(["identify", ...images, "--gallery", g(), "--json"]);
    assert.equal(result.code, 1, result.stderr);
    assert.equal(result.stderr, "facefleet identify: 4 of 6 picture(s) could not be read\n");
    const lines = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { image: string; error?: string; faces?: { identity: string; box: number[] }[] });
    assert.deepEqual(
      lines.map((l) => l.image),
      images,
    );
    const [m, e, t, h, one, b] = lines as [
      (typeof lines)[0],
      (typeof lines)[0],
      (typeof lines)[0],
      (typeof lines)[0],
      (typeof lines)[0],
      (typeof lines)[0],
    ];
    assert.equal(m.error, "cannot decode image: file not found");
    assert.equal(e.error, "cannot decode image: the file is empty");
    assert.match(t.error ?? "", /^cannot decode image: .*(premature end of JPEG|truncated)/);
    assert.match(b.error ?? "", /^cannot decode image: the picture is 20000x20000 \(400 MP\), larger than the 110 MP limit$/);
    assert.deepEqual(one.faces, []);
    // The 50 MP picture is analysed at full size: one face, where it was put (x 3000 + the face's offset).
    assert.equal(h.faces?.length, 1, JSON.stringify(h));
    const [x, y, w] = h.faces?.[0]?.box ?? [];
    assert.ok(
      (x as number) > 3000 && (x as number) < 3000 + face.info.width && (y as number) > 1500 && (w as number) > 300,
      JSON.stringify(h),
    );
  });
});
