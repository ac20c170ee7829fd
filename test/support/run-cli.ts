import { spawn } from "node:child_process";
import { delimiter, join } from "node:path";
import { repoRoot, testModelDirs } from "../../testing/paths.js";

export type CliResult = { code: number; stdout: string; stderr: string };

/** Runs the real `facefleet` bin as a child process with the test models. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(repoRoot, "bin", "facefleet.js"), ...args], {
      cwd: repoRoot,
      env: { ...process.env, FACEFLEET_MODELS: testModelDirs.join(delimiter), ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
  });
}
