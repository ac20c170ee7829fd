import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, readFile, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import sharp from "sharp";
import { recognitionSettingsFromOptions } from "../../cli/recognition-options.js";
import { exampleImage, examplesDir, sharedDir } from "../../testing/paths.js";
import { runCli } from "../support/run-cli.js";

const work = await mkdtemp(join(tmpdir(), "facefleet-cli-"));
const gallery = join(work, "gallery.json");

/** DIR/obama/obama.jpg, DIR/crowd.jpg (two faces: rejected). */
const enrollDir = join(work, "people");
await mkdir(join(enrollDir, "obama"), { recursive: true });
await copyFile(exampleImage("obama.jpg"), join(enrollDir, "obama", "obama.jpg"));
await copyFile(exampleImage("two_people.jpg"), join(enrollDir, "crowd.jpg"));

test("enroll: one identity enrolled, the two-face picture rejected with its reason, gallery written", async () => {
  const result = await runCli(["enroll", enrollDir, "--gallery", gallery, "--json"]);
  assert.equal(result.code, 0, result.stderr);
  const summary = JSON.parse(result.stdout);
  assert.deepEqual(summary.identities, [{ name: "obama", images: 1 }]);
  assert.equal(summary.rejected.length, 1);
  assert.match(summary.rejected[0].reason, /2 faces found and none is clearly the subject/);
  assert.deepEqual(summary.ignored, []);
  const file = JSON.parse(await readFile(gallery, "utf8"));
  assert.equal(file.format, "facefleet-gallery");
  assert.equal(file.version, 1);
});

test("enroll: the subject of a picture with a background face is enrolled and the ignored face listed; an ambiguous one refused", async () => {
  const dir = join(work, "people-background");
  await mkdir(join(dir, "anders"), { recursive: true });
  const lfw = join(sharedDir, "data", "lfw_dev", "images", "Anders_Fogh_Rasmussen", "Anders_Fogh_Rasmussen_0002.jpg");
  await copyFile(lfw, join(dir, "anders", "with-background.jpg"));
  await copyFile(exampleImage("two_people.jpg"), join(dir, "crowd.jpg"));
  const target = join(work, "background.json");
  const text = await runCli(["enroll", dir, "--gallery", target]);
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /^enrolled 1 picture\(s\) of 1 identity into /);
  assert.match(
    text.stdout,
    /enrolled the subject of 1 picture\(s\) with other faces:\n {2}\S*with-background\.jpg: ignored 1 background face\n/,
  );
  assert.match(text.stdout, /rejected 1 picture\(s\):\n {2}\S*crowd\.jpg: 2 faces found and none is clearly the subject/);
  const json = await runCli(["enroll", dir, "--gallery", target, "--json"]);
  assert.equal(json.code, 0, json.stderr);
  const summary = JSON.parse(json.stdout);
  assert.deepEqual(summary.identities, [{ name: "anders", images: 1 }]);
  assert.deepEqual(summary.ignored, [{ image: join(dir, "anders", "with-background.jpg"), identity: "anders", faces: 1 }]);
  assert.deepEqual(
    summary.rejected.map((r: { identity: string }) => r.identity),
    ["crowd"],
  );
});

test("identify --json: one line per picture as DESIGN.md shows; a truncated JPEG gets an error and exit 1", async () => {
  const truncated = join(work, "truncated.jpg");
  const bytes = await readFile(exampleImage("obama2.jpg"));
  await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length / 3)));
  const images = [exampleImage("obama2.jpg"), truncated, exampleImage("biden.jpg"), exampleImage("two_people.jpg")];
  const result = await runCli(["identify", ...images, "--gallery", gallery, "--json"]);
  assert.equal(result.code, 1);
  const lines = result.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => l.image),
    images,
  );
  const [obama2, broken, biden, two] = lines;
  assert.equal(obama2.faces.length, 1);
  assert.equal(obama2.faces[0].identity, "obama");
  for (const face of [...obama2.faces, ...biden.faces, ...two.faces]) {
    assert.deepEqual(Object.keys(face).sort(), ["box", "distance", "identity", "score"]);
    assert.equal(face.box.length, 4);
    assert.ok(face.score > 0.5 && face.score <= 1);
    assert.ok(face.distance >= 0 && face.distance <= 2);
  }
  assert.equal(typeof broken.error, "string");
  assert.equal(broken.faces, undefined);
  assert.equal(biden.faces[0].identity, "Unknown");
  assert.deepEqual(two.faces.map((f: { identity: string }) => f.identity).sort(), ["Unknown", "obama"]);
  assert.match(result.stderr, /1 of 4 picture\(s\) could not be read/);
});

test("identify walks a directory argument", async () => {
  const result = await runCli(["identify", join(examplesDir, "examples", "knn_examples", "test"), "--gallery", gallery, "--json"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout.trim().split("\n").length, 5);
});

test("bad input: one line on stderr naming the problem, non-zero exit", async () => {
  const cases: [string[], RegExp, number][] = [
    [["identify", exampleImage("obama.jpg"), "--gallery", gallery, "--threshold", "abc"], /--threshold must be a number/, 2],
    [
      ["identify", exampleImage("obama.jpg"), "--gallery", gallery, "--false-accept", "1"],
      /--false-accept must be a number from 0 to 0\.5/,
      2,
    ],
    [["identify", exampleImage("obama.jpg"), "--gallery", gallery, "--false-accept", "0"], /--false-accept must be above 0/, 2],
    [
      ["identify", exampleImage("obama.jpg"), "--gallery", gallery, "--false-accept", "0.01", "--threshold", "0.1"],
      /give --threshold or --false-accept, not both/,
      2,
    ],
    [
      ["annotate", exampleImage("obama.jpg"), "--gallery", gallery, "-o", join(work, "x.jpg"), "--false-accept", "ten"],
      /--false-accept must be a number/,
      2,
    ],
    [["identify", exampleImage("obama.jpg"), "--gallery", join(work, "none.json")], /cannot read gallery .*none\.json: ENOENT/, 1],
    [["identify", exampleImage("obama.jpg")], /--gallery FILE .* is required/, 2],
    [["enroll", join(work, "missing-dir"), "--gallery", join(work, "g2.json")], /cannot read directory .*missing-dir/, 1],
    [["identify", exampleImage("obama.jpg"), "--gallery", gallery, "--precision", "int4"], /--precision/, 2],
    [["nonsense"], /unknown command 'nonsense'/, 2],
  ];
  for (const [args, message, code] of cases) {
    const result = await runCli(args);
    assert.equal(result.code, code, `${args.join(" ")}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split("\n").length, 1, `one line for ${args.join(" ")}: ${result.stderr}`);
  }
});

test("an empty enrollment directory fails and writes no gallery", async () => {
  const empty = join(work, "empty");
  await mkdir(empty);
  const target = join(work, "never.json");
  const result = await runCli(["enroll", empty, "--gallery", target]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /no pictures in/);
  await assert.rejects(stat(target));
});

test("a gallery made with another recognizer is refused", async () => {
  const other = join(work, "other-model.json");
  const file = JSON.parse(await readFile(gallery, "utf8"));
  // Enrolled with the default recognizer (SFace), read with the dlib descriptor selected.
  file.recognizer = { family: "sface-2021dec", modelId: "sface-2021dec-opt", embeddingSize: 128 };
  await writeFile(other, JSON.stringify(file));
  const result = await runCli(["identify", exampleImage("obama.jpg"), "--gallery", other, "--recognizer", "face-api-resnet-v1", "--json"]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /was made with recognizer sface-2021dec-opt .* re-enroll/);
});

test("annotate writes a JPEG of the picture's size", async () => {
  const out = join(work, "annotated.jpg");
  const result = await runCli(["annotate", exampleImage("two_people.jpg"), "--gallery", gallery, "-o", out]);
  assert.equal(result.code, 0, result.stderr);
  const meta = await sharp(out).metadata();
  const original = await sharp(exampleImage("two_people.jpg")).metadata();
  assert.equal(meta.format, "jpeg");
  assert.deepEqual([meta.width, meta.height], [original.width, original.height]);
});

test("train a classifier on the knn examples and identify with it (confidence instead of distance)", async () => {
  const classifier = join(work, "classifier.json");
  const train = await runCli(["train", join(examplesDir, "examples", "knn_examples", "train"), "--classifier", classifier]);
  assert.equal(train.code, 0, train.stderr);
  assert.match(train.stdout, /held-out accuracy: \d+\/\d+/);
  const result = await runCli(["identify", exampleImage("obama2.jpg"), "--classifier", classifier, "--json"]);
  assert.equal(result.code, 0, result.stderr);
  const [face] = JSON.parse(result.stdout).faces;
  assert.equal(face.identity, "obama");
  assert.ok(face.confidence > 0 && face.confidence <= 1);
  assert.equal(face.distance, undefined);
});

test("doctor reports the provider each model runs on, and why a requested accelerator was skipped", async () => {
  const result = await runCli(["doctor", "--provider", "cuda", "--json"]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.deepEqual(report.providersToTry, ["cuda", "cpu"]);
  for (const model of report.models) {
    // Where CUDA's libraries are missing (this package ships none) the CPU runs it and the reason is kept.
    if (model.provider === "cpu") assert.match(model.skipped[0], /^cuda: /);
    else assert.equal(model.provider, "cuda");
  }
  assert.equal(result.stderr, "", "a provider that cannot load is reported in the result, not as log noise");
});

test("recognition options: only the options given come back (a config file's settings under them survive)", () => {
  assert.deepEqual(recognitionSettingsFromOptions({ threads: "2" }), { threads: 2 });
  assert.deepEqual(recognitionSettingsFromOptions({}), {});
  const fromConfig = { executionProvider: "cpu", precision: "int8", threads: 1 };
  assert.deepEqual({ ...fromConfig, ...recognitionSettingsFromOptions({ threads: "3" }) }, { ...fromConfig, threads: 3 });
});
