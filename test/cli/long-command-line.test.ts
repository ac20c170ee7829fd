/**
 * A command line longer than onnxruntime-node 1.30's telemetry survives (docs/onnxruntime-argv-crash.md: past ~29 KB
 * it crashed InferenceSession.create with SIGSEGV and no output), through the real bin and in any process that opens
 * a model through models/model-session.ts; and `identify --from FILE` / `--from -` read the pictures from a list.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { test } from "node:test";
import { exampleImage, repoRoot, testModelDirs } from "../../testing/paths.js";
import { runCli } from "../support/run-cli.js";

const work = mkdtempSync(join(tmpdir(), "facefleet-long-argv-"));
const gallery = join(work, "gallery.json");
// Long paths (~1 KB each: four nested 240-character folders), so 66 pictures make a 66 KB command line.
const deep = join(work, ...["a", "b", "c", "d"].map((c) => c.repeat(240)));
mkdirSync(deep, { recursive: true });
const pictures = Array.from({ length: 66 }, (_, i) => join(deep, `obama-${String(i).padStart(3, "0")}.jpg`));
for (const p of pictures) copyFileSync(exampleImage("obama2.jpg"), p);

function identify(args: string[], input?: string) {
  return spawnSync(
    process.execPath,
    [join(repoRoot, "bin", "facefleet.js"), "identify", ...args, "--gallery", gallery, "--json", "--threads", "1"],
    {
      cwd: repoRoot,
      input,
      encoding: "utf8",
      env: { ...process.env, FACEFLEET_MODELS: testModelDirs.join(delimiter) },
      maxBuffer: 64 * 1024 * 1024,
    },
  );
}

function assertEveryPictureNamed(stdout: string) {
  const lines = stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as { image: string; faces: { identity: string }[] });
  assert.deepEqual(
    lines.map((l) => l.image),
    pictures,
  );
  for (const l of lines) assert.equal(l.faces[0]?.identity, "obama", l.image);
}

test("enroll the one person the pictures show", async () => {
  const people = join(work, "people");
  mkdirSync(people);
  copyFileSync(exampleImage("obama.jpg"), join(people, "obama.jpg"));
  const enrolled = await runCli(["enroll", people, "--gallery", gallery]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
});

test("identify with a 64 KB command line: one JSON line per picture, exit 0", () => {
  const bytes = pictures.reduce((n, p) => n + Buffer.byteLength(p) + 1, 0);
  assert.ok(bytes > 64 * 1024, `command line of ${bytes} bytes`);
  const result = identify(pictures);
  assert.equal(result.signal, null, `killed by ${result.signal}`);
  assert.equal(result.status, 0, result.stderr);
  assertEveryPictureNamed(result.stdout);
});

test("a process that opens a model through model-session, 64 KB of argv, no bin: loads it, telemetry off", () => {
  const script = [
    `const { openModelSession } = await import(${JSON.stringify(join(repoRoot, "dist", "models", "model-session.js"))});`,
    `const { loadManifest } = await import(${JSON.stringify(join(repoRoot, "dist", "models", "manifest.js"))});`,
    `const entry = { ...loadManifest().models["yunet-2023mar-dynamic"], id: "yunet-2023mar-dynamic" };`,
    `const s = await openModelSession(entry, { dirs: ${JSON.stringify(testModelDirs)}, executionProvider: "cpu", threads: 1 });`,
    `console.log(JSON.stringify({ inputs: s.session.inputNames, telemetry: process.env.ORT_DISABLE_TELEMETRY }));`,
  ].join("\n");
  const filler = Array.from({ length: 64 }, (_, i) => `${i}:${"x".repeat(1024)}`);
  const env = { ...process.env };
  delete env.ORT_DISABLE_TELEMETRY;
  const result = spawnSync(process.execPath, ["--input-type=module", "-e", script, ...filler], { encoding: "utf8", env });
  assert.equal(result.signal, null, `killed by ${result.signal}`);
  assert.equal(result.status, 0, result.stderr);
  assert.deepEqual(JSON.parse(result.stdout), { inputs: ["input"], telemetry: "1" });
});

test("identify --from FILE and --from - (standard input), one path per line", () => {
  const list = join(work, "pictures.txt");
  writeFileSync(list, `${pictures.join("\n")}\n\n`);
  const fromFile = identify(["--from", list]);
  assert.equal(fromFile.status, 0, fromFile.stderr);
  assertEveryPictureNamed(fromFile.stdout);
  const fromStdin = identify(["--from", "-"], pictures.join("\n"));
  assert.equal(fromStdin.status, 0, fromStdin.stderr);
  assertEveryPictureNamed(fromStdin.stdout);
});

test("identify --from a missing file or an empty list: one line, non-zero exit", () => {
  const missing = identify(["--from", join(work, "nope.txt")]);
  assert.equal(missing.status, 1);
  assert.match(missing.stderr.trim(), /^facefleet.*--from .*nope\.txt: no such file$|--from .*nope\.txt: no such file/);
  assert.equal(missing.stderr.trim().split("\n").length, 1);
  const empty = join(work, "empty.txt");
  writeFileSync(empty, "\n");
  const none = identify(["--from", empty]);
  assert.equal(none.status, 2);
  assert.match(none.stderr, /lists no picture/);
});
