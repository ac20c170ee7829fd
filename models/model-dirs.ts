import { homedir } from "node:os";
import { delimiter, join, resolve } from "node:path";

/**
 * Directories searched for model files, first hit wins: the configured one, else FACEFLEET_MODELS
 * (a PATH-style list), else the per-user data directory. `models fetch` writes into the first.
 */
export function modelDirs(configured?: string | readonly string[]): string[] {
  if (configured !== undefined) return (typeof configured === "string" ? [configured] : [...configured]).map((d) => resolve(d));
  const fromEnv = process.env.FACEFLEET_MODELS;
  if (fromEnv)
    return fromEnv
      .split(delimiter)
      .filter(Boolean)
      .map((d) => resolve(d));
  const dataHome = process.env.XDG_DATA_HOME || join(homedir(), ".local", "share");
  return [join(dataHome, "facefleet", "models")];
}
