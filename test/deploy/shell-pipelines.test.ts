/**
 * The project's shell scripts never pipe into a reader that stops early (`| head`, `| grep -q`, `| grep -m`,
 * `| sed …q`, `| awk …exit`). Under `set -o pipefail` the writer then dies of SIGPIPE (or, for Python tools
 * such as ansible, of BrokenPipeError) and the whole script fails — but only when the writer is still writing
 * when the reader leaves, so a warm machine passes and a fresh one fails. Read the whole output instead
 * (`sed -n 1p`, a variable and `${v%%$'\n'*}`, a `case`).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "./repo-root.js";

const EARLY_EXIT_READER = /\|\s*(head\b|grep\b[^|]*\s-[a-zA-Z]*[qm]|sed\b[^|]*\dq\b|awk\b[^|]*\bexit\b)/;

/** Tracked files that bash or sh runs: a shell shebang, a .sh or .j2 name, or `set -o pipefail` inside (not code or docs). */
function shellFiles(): string[] {
  const tracked = execFileSync("git", ["ls-files"], { cwd: repoRoot, encoding: "utf8" }).split("\n").filter(Boolean);
  return tracked.filter((path) => {
    if (path.startsWith("node_modules/") || /\.(ts|js|md|json)$/.test(path)) return false;
    let text: string;
    try {
      text = readFileSync(join(repoRoot, path), "utf8");
    } catch {
      return false;
    }
    if (text.includes("\0")) return false;
    return /\.(sh|j2)$/.test(path) || /^#!.*\b(ba)?sh\b/.test(text) || text.includes("pipefail");
  });
}

test("no shell script pipes into a reader that exits early (SIGPIPE under pipefail)", () => {
  const files = shellFiles();
  assert.ok(files.includes("scripts/setup.sh") && files.includes("deploy/ansible/setup.sh"), "the scan finds the setup scripts");
  const offenders: string[] = [];
  for (const path of files) {
    readFileSync(join(repoRoot, path), "utf8")
      .split("\n")
      .forEach((line, index) => {
        if (line.trimStart().startsWith("#")) return;
        if (EARLY_EXIT_READER.test(line)) offenders.push(`${path}:${index + 1}: ${line.trim()}`);
      });
  }
  assert.deepEqual(offenders, []);
});

test("the pattern catches the pipeline that broke a fresh set-up, and bash shows why it matters", () => {
  assert.match('"$venv/bin/ansible-playbook" --version | head -1 | sed x', EARLY_EXIT_READER);
  assert.match("id -nG u | tr ' ' '\\n' | grep -qx video", EARLY_EXIT_READER);
  assert.doesNotMatch("lsblk -no PKNAME /dev/x | sed -n 1p", EARLY_EXIT_READER);
  // A writer that is still writing when head leaves fails the pipeline under pipefail.
  const run = spawnSync("bash", ["-c", "set -o pipefail; yes | head -1 >/dev/null"], { encoding: "utf8" });
  assert.notEqual(run.status, 0);
});
