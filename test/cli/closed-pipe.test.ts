/** A reader that stops early (`facefleet models list | head -1`) ends the command quietly, not with an EPIPE trace. */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../testing/paths.js";

test("models list into a pipe closed after the first line: exit 0, nothing on stderr", async () => {
  const child = spawn(process.execPath, [join(repoRoot, "bin", "facefleet.js"), "models", "list"], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
    stderr += chunk;
  });
  // Close our end at once, before the command writes: every write it makes meets a closed pipe.
  child.stdout.destroy();
  const code = await new Promise<number | null>((resolve) => child.on("close", (c) => resolve(c)));
  assert.equal(stderr, "", "no stack trace");
  assert.equal(code, 0);
});
