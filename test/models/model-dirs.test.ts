/**
 * Commands run from a checkout find the models `npm run setup` built without FACEFLEET_MODELS, from any working
 * directory, and a missing model's error names every directory that was searched.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { modelDirs, userModelDir } from "../../models/model-dirs.js";
import { exampleImage, repoRoot } from "../support/paths.js";

const work = mkdtempSync(join(tmpdir(), "facefleet-model-dirs-"));
const bin = join(repoRoot, "bin", "facefleet.js");
/** The environment of a newcomer's shell: no FACEFLEET_MODELS, an empty per-user data directory. */
const newcomer = (() => {
  const env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: join(work, "xdg") };
  delete env.FACEFLEET_MODELS;
  return env;
})();
const facefleet = (args: string[], env = newcomer) => spawnSync(process.execPath, [bin, ...args], { cwd: work, env, encoding: "utf8" });

test("default model directories: the per-user one first, then the checkout's .facefleet/models", () => {
  const saved = process.env.FACEFLEET_MODELS;
  delete process.env.FACEFLEET_MODELS;
  try {
    const dirs = modelDirs();
    assert.equal(dirs[0], userModelDir());
    assert.ok(dirs.includes(join(repoRoot, ".facefleet", "models")), dirs.join(", "));
  } finally {
    if (saved !== undefined) process.env.FACEFLEET_MODELS = saved;
  }
  assert.deepEqual(modelDirs(["a", "b"]), [join(process.cwd(), "a"), join(process.cwd(), "b")]);
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
    FACEFLEET_MODELS: empty.join(":"),
  });
  assert.equal(result.status, 1);
  const lines = result.stderr.trim().split("\n");
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0] ?? "", /not found in/);
  for (const dir of empty) assert.ok(lines[0]?.includes(dir), `${dir} named in: ${lines[0]}`);
});
