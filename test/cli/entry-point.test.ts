/**
 * The `facefleet` entry point itself: --version, --help, an unknown command, and what a user sees when the
 * TypeScript has not been built yet (a one-line hint, not a module-resolution stack trace).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { repoRoot } from "../../testing/paths.js";
import { runCli } from "../support/run-cli.js";

const version = (JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string }).version;

it("--version prints the package's version and exits 0", async () => {
  const result = await runCli(["--version"]);
  assert.equal(result.code, 0, result.stderr);
  assert.equal(result.stdout, `facefleet ${version}\n`);
});

it("--help lists the commands and exits 0; no command prints it and exits 2", async () => {
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^usage: facefleet <command>/);
  assert.match(help.stdout, /\n {2}demo {9}/);
  const bare = await runCli([]);
  assert.equal(bare.code, 2);
});

it("an unknown command is one line on stderr, exit 2", async () => {
  const result = await runCli(["enrol"]);
  assert.equal(result.code, 2);
  assert.equal(result.stderr, "facefleet: unknown command 'enrol' (see facefleet --help)\n");
});

it("before the build, the entry point says to run the set-up instead of a stack trace", () => {
  const checkout = mkdtempSync(join(tmpdir(), "facefleet-unbuilt-"));
  mkdirSync(join(checkout, "bin"));
  copyFileSync(join(repoRoot, "bin", "facefleet.js"), join(checkout, "bin", "facefleet.js"));
  const result = spawnSync(process.execPath, [join(checkout, "bin", "facefleet.js"), "demo"], { encoding: "utf8" });
  assert.equal(result.status, 1);
  assert.equal(result.stderr, "facefleet: not built yet (no dist/cli/main.js): run `npm run setup` (or `npm run build`) first\n");
});
