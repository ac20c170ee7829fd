import { readdir, readFile, stat } from "node:fs/promises";
import { extname, join } from "node:path";
import { describeError, FacefleetError } from "../core/errors.js";
import { IMAGE_EXTENSIONS } from "../recognition/enrollment.js";

/** IMAGE arguments as a list of files: a directory is walked (sorted, images only); a file is kept as given. */
export async function expandImageArguments(args: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const arg of args) {
    let isDirectory = false;
    try {
      isDirectory = (await stat(arg)).isDirectory();
    } catch {
      // a missing file stays in the list and fails on its own, so it gets its own error line
    }
    if (!isDirectory) {
      out.push(arg);
      continue;
    }
    const walk = async (dir: string): Promise<void> => {
      const entries = (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
      for (const entry of entries) {
        if (entry.name.startsWith(".")) continue;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) await walk(path);
        else if (IMAGE_EXTENSIONS.has(extname(entry.name).toLowerCase())) out.push(path);
      }
    };
    await walk(arg);
  }
  return out;
}

/** The paths listed in FILE, one per line (`-` = standard input); blank lines are skipped. */
export async function readPathList(file: string): Promise<string[]> {
  let text: string;
  try {
    text = file === "-" ? await readStdin() : await readFile(file, "utf8");
  } catch (error) {
    throw new FacefleetError(
      `--from ${file}: ${(error as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : describeError(error)}`,
    );
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}
