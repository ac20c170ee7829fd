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

/** The directories a checkout has: the models `npm run setup` built and the shared models folder beside it. */
function checkoutModelDirs(): string[] {
  const root = packageRoot();
  if (!root) return [];
  const shared = process.env.FACEFLEET_SHARED ? resolve(process.env.FACEFLEET_SHARED) : join(root, "..", "shared");
  return [join(root, ".facefleet", "models"), join(shared, "models")].filter((dir) => existsSync(dir)).map((dir) => resolve(dir));
}

/** The directories given (--models, a config's modelDirs) or else FACEFLEET_MODELS; undefined when neither is. */
function chosenModelDirs(configured?: string | readonly string[]): string[] | undefined {
  if (configured !== undefined) return (typeof configured === "string" ? [configured] : [...configured]).map((d) => resolve(d));
  const fromEnv = process.env.FACEFLEET_MODELS?.split(delimiter).filter(Boolean);
  return fromEnv?.length ? fromEnv.map((d) => resolve(d)) : undefined;
}

/**
 * Directories searched for model files, first hit wins (every file is sha256-checked when loaded):
 * the configured ones, else FACEFLEET_MODELS (a PATH-style list), else, from wherever the command runs, what the
 * checkout this code lives in has (found from this file, not the working directory): the models `npm run setup`
 * built (<checkout>/.facefleet/models) and the shared models folder beside it ($FACEFLEET_SHARED/models, else
 * <checkout>/../shared/models), each where it exists, then the per-user data directory.
 */
export function modelDirs(configured?: string | readonly string[]): string[] {
  return chosenModelDirs(configured) ?? [...checkoutModelDirs(), userModelDir()];
}

/**
 * Where `models fetch` writes: the first of the configured directories or FACEFLEET_MODELS, else the per-user data
 * directory (a checkout's folders are left to the set-up, and ../shared is read-only).
 */
export function modelFetchDir(configured?: string | readonly string[]): string {
  return chosenModelDirs(configured)?.[0] ?? userModelDir();
}
