import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The facefleet package's root (the checkout, or the installed package), found from this file's location. */
function packageRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      try {
        if ((JSON.parse(readFileSync(manifest, "utf8")) as { name?: unknown }).name === "facefleet") return dir;
      } catch {
        // an unreadable package.json is not ours: keep looking upwards
      }
    }
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/** The per-user data directory for models: $XDG_DATA_HOME/facefleet/models, else ~/.local/share/facefleet/models. */
export function userModelDir(): string {
  const dataHome = process.env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return join(dataHome, "facefleet", "models");
}

/**
 * Directories searched for model files, first hit wins (every file is sha256-checked when loaded):
 * the configured ones, else FACEFLEET_MODELS (a PATH-style list), else the per-user data directory followed by
 * what a checkout has where they exist: the models `npm run setup` built (<checkout>/.facefleet/models) and the
 * shared models folder beside it ($FACEFLEET_SHARED/models, else <checkout>/../shared/models).
 * `models fetch` writes into the first.
 */
export function modelDirs(configured?: string | readonly string[]): string[] {
  if (configured !== undefined) return (typeof configured === "string" ? [configured] : [...configured]).map((d) => resolve(d));
  const fromEnv = process.env.FACEFLEET_MODELS;
  if (fromEnv)
    return fromEnv
      .split(delimiter)
      .filter(Boolean)
      .map((d) => resolve(d));
  const dirs = [userModelDir()];
  const root = packageRoot();
  if (root) {
    const shared = process.env.FACEFLEET_SHARED ? resolve(process.env.FACEFLEET_SHARED) : join(root, "..", "shared");
    for (const dir of [join(root, ".facefleet", "models"), join(shared, "models")]) if (existsSync(dir)) dirs.push(resolve(dir));
  }
  return dirs;
}
