import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * onnxruntime-node 1.30.0 overflows the main thread's stack while creating an InferenceSession when the process's
 * command line is longer than about 29 KB (docs/onnxruntime-argv-crash.md): the process dies of SIGSEGV with no
 * output. A command line longer than this is therefore moved into a file and the CLI runs again with a short one.
 */
export const MAX_ARGV_BYTES = 16 * 1024;
/** The variable that carries the file holding the arguments of a relaunched CLI. */
export const ARGUMENT_FILE_VARIABLE = "FACEFLEET_ARGUMENT_FILE";

/** The arguments of this process: from the argument file a relaunch left (read once, then removed), else argv. */
export function cliArguments(argv: readonly string[]): string[] {
  const file = process.env[ARGUMENT_FILE_VARIABLE];
  if (!file) return [...argv];
  delete process.env[ARGUMENT_FILE_VARIABLE];
  const args = JSON.parse(readFileSync(file, "utf8")) as unknown;
  rmSync(join(file, ".."), { recursive: true, force: true });
  if (!Array.isArray(args) || !args.every((a) => typeof a === "string")) throw new Error(`${file}: not a list of arguments`);
  return args;
}

/** True when this process's own command line (node, its options, the script, the arguments) could crash onnxruntime. */
export function commandLineTooLong(): boolean {
  return [...process.execArgv, ...process.argv].reduce((n, a) => n + Buffer.byteLength(a) + 1, 0) > MAX_ARGV_BYTES;
}

/**
 * Runs `script` again in a child node whose command line is short, the arguments passed in a private file;
 * standard input, output and error are shared, SIGINT/SIGTERM are passed on. Resolves to the child's exit code.
 */
export function relaunchWithArgumentFile(script: string, args: readonly string[]): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "facefleet-args-"));
  const file = join(dir, "argv.json");
  writeFileSync(file, JSON.stringify(args), { mode: 0o600 });
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, script], {
      stdio: "inherit",
      env: { ...process.env, [ARGUMENT_FILE_VARIABLE]: file },
    });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on("SIGINT", forward).on("SIGTERM", forward);
    child.on("error", (error) => {
      rmSync(dir, { recursive: true, force: true });
      process.stderr.write(`facefleet: could not start node again: ${error.message}\n`);
      resolve(1);
    });
    child.on("exit", (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      process.off("SIGINT", forward).off("SIGTERM", forward);
      resolve(code ?? (signal === "SIGINT" ? 130 : 1));
    });
  });
}
