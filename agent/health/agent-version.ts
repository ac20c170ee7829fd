import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

let cached: string | undefined;

/** The facefleet package's version (the nearest package.json named facefleet above this file, in src or dist). */
export function agentVersion(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = join(dir, "package.json");
    if (existsSync(file)) {
      try {
        const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
        if (pkg.name === "facefleet" && pkg.version) {
          cached = pkg.version;
          return cached;
        }
      } catch {
        // not readable: look further up
      }
    }
    dir = dirname(dir);
  }
  cached = "unknown";
  return cached;
}
