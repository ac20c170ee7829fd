import { realpathSync } from "node:fs";
import { fileURLToPath } from "node:url";

/**
 * True when the module at `moduleUrl` is the script node was started with (`node path/to/module.js`).
 * Node resolves symlinks for the main module, so `argv[1]` is compared by its real path: on a device the
 * script runs as /opt/facefleet/current/app/… where `current` is a symlink to a release folder.
 */
export function isScriptEntry(moduleUrl: string, argv1: string | undefined = process.argv[1]): boolean {
  if (argv1 === undefined) return false;
  try {
    return realpathSync(argv1) === realpathSync(fileURLToPath(moduleUrl));
  } catch {
    return false;
  }
}
