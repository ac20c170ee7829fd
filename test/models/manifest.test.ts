import assert from "node:assert/strict";
import { copyFile, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { getDetector, loadManifest, manifestPath } from "../../models/manifest.js";
import { locateVerifiedModel } from "../../models/verify-file.js";
import { sharedDir } from "../../testing/paths.js";

test("the manifest validates and its defaults name models of the right role", () => {
  const manifest = loadManifest();
  for (const id of Object.values(manifest.defaults.detector)) assert.equal(manifest.models[id]?.role, "detector");
  for (const id of Object.values(manifest.defaults.recognizer)) assert.equal(manifest.models[id]?.role, "recognizer");
});

test("a model of a family facefleet has no detector or recognizer for fails validation, naming the field", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-manifest-"));
  const raw = JSON.parse(await readFile(manifestPath(), "utf8"));
  for (const [role, id, known] of [
    ["detector", "yunet-2023mar", "yunet"],
    ["recognizer", "sface-2021dec-opt", "sface-2021dec"],
  ] as const) {
    const path = join(dir, `${role}.json`);
    await writeFile(path, JSON.stringify({ ...raw, models: { ...raw.models, [id]: { ...raw.models[id], family: "retinaface" } } }));
    assert.throws(
      () => loadManifest(path),
      (error: Error) => error.message.includes(`models.${id}.family: `) && error.message.includes(known),
      `${role} family`,
    );
  }
});

test("a model file whose sha256 differs from the manifest is refused, naming the file", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-models-"));
  const entry = getDetector("yunet-2023mar");
  await writeFile(join(dir, entry.file), "not the model");
  await assert.rejects(locateVerifiedModel(entry, [dir]), (error: Error) => {
    assert.match(error.message, /face_detection_yunet_2023mar\.onnx has sha256 [0-9a-f]{64}, the manifest expects 8f2383e4/);
    assert.equal(error.message.includes("\n"), false);
    return true;
  });
});

test("the verified shared detector loads; a missing one says how to get it", async () => {
  const entry = getDetector("yunet-2023mar");
  const dir = await mkdtemp(join(tmpdir(), "facefleet-models-"));
  await copyFile(join(sharedDir, "models", entry.file), join(dir, entry.file));
  assert.equal(await locateVerifiedModel(entry, [dir]), join(dir, entry.file));
  await assert.rejects(locateVerifiedModel(entry, [join(dir, "nowhere")]), /not found in .*facefleet models fetch/);
});
