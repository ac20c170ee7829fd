/**
 * Commands run from a checkout find the models `npm run setup` built without FACEFLEET_MODELS, from any working
 * directory, and a missing model's error names every directory that was searched.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { test } from "node:test";
import { modelDirs, modelFetchDir, userModelDir } from "../../models/model-dirs.js";
import { exampleImage, repoRoot, sharedDir } from "../../testing/paths.js";

const work = mkdtempSync(join(tmpdir(), "facefleet-model-dirs-"));
const bin = join(repoRoot, "bin", "facefleet.js");
/** The environment of a newcomer's shell: no FACEFLEET_MODELS, an empty per-user data directory. */
const newcomer = (() => {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: join(work, "xdg") };
  delete env.FACEFLEET_MODELS;
  return env;
})();
const facefleet = (args: string[], env = newcomer) => spawnSync(process.execPath, [bin, ...args], { cwd: work, env, encoding: "utf8" });

test("default model directories: the checkout's .facefleet/models and ../shared/models, then the per-user one", () => {
  const saved = process.env.FACEFLEET_MODELS;
  delete process.env.FACEFLEET_MODELS;
  try {
    const dirs = modelDirs();
    assert.deepEqual(dirs, [join(repoRoot, ".facefleet", "models"), join(sharedDir, "models"), userModelDir()]);
    assert.equal(modelFetchDir(), userModelDir(), "models fetch writes into the per-user directory");
    process.env.FACEFLEET_MODELS = ["x", "y"].join(delimiter);
    assert.deepEqual(modelDirs(), [join(process.cwd(), "x"), join(process.cwd(), "y")]);
    assert.equal(modelFetchDir(), join(process.cwd(), "x"));
  } finally {
    if (saved === undefined) delete process.env.FACEFLEET_MODELS;
    else process.env.FACEFLEET_MODELS = saved;
  }
  assert.deepEqual(modelDirs(["a", "b"]), [join(process.cwd(), "a"), join(process.cwd(), "b")]);
  assert.equal(modelFetchDir(["a", "b"]), join(process.cwd(), "a"));
});

test("enroll and identify from another directory find the set-up's models without FACEFLEET_MODELS", () => {
  const people = join(work, "people");
  mkdirSync(people, { recursive: true });
  copyFileSync(exampleImage("obama.jpg"), join(people, "obama.jpg"));
  const enrolled = facefleet(["enroll", people, "--gallery", "gallery.json", "--threads", "1"]);
  assert.equal(enrolled.status, 0, enrolled.stderr);
  const identified = facefleet(["identify", exampleImage("obama2.jpg"), "--gallery", "gallery.json", "--json"]);
  assert.equal(identified.status, 0, identified.stderr);
  assert.equal(JSON.parse(identified.stdout).faces[0].identity, "obama");
});

test("a model found nowhere: one line naming every directory searched", () => {
  const empty = [join(work, "none-a"), join(work, "none-b")];
  const result = facefleet(["identify", exampleImage("obama2.jpg"), "--gallery", "gallery.json"], {
    ...newcomer,
    FACEFLEET_MODELS: empty.join(delimiter),
  });
  assert.equal(result.status, 1);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0] ?? "", /not found in/);
  for (const dir of empty) assert.ok(lines[0]?.includes(dir), `${dir} named in: ${lines[0]}`);
});

test("the default list, a model in none of it: the one line names the checkout's, the shared and the per-user folder", () => {
  const shared = join(work, "empty-shared");
  mkdirSync(join(shared, "models"), { recursive: true });
  const result = facefleet(["identify", exampleImage("obama2.jpg"), "--gallery", "gallery.json", "--precision", "fp32"], {
    ...newcomer,
    FACEFLEET_SHARED: shared,
  });
  assert.equal(result.status, 1);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0] ?? "", /yunet_s_dynamic\.onnx .*not found in/);
  const searched = [join(repoRoot, ".facefleet", "models"), join(shared, "models"), join(work, "xdg", "facefleet", "models")];
  assert.ok(lines[0]?.includes(searched.join(", ")), `${searched.join(", ")} named in: ${lines[0]}`);
});
