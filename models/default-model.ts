import type { ModelEntry } from "./manifest-schema.js";
import { findModelFile } from "./verify-file.js";

/**
 * The default model of a role at a precision. With `--precision auto` an int8 default that no model directory
 * holds falls back to the fp32 one: a clone without the shared calibration pictures builds only the fp32 models
 * (models/build.sh), and an ARM CPU, whose automatic choice is int8, should still run rather than fail.
 * An explicit `--precision int8` keeps the int8 model, so a missing file is reported.
 */
export function defaultModelId(
  ids: { fp32: string; int8: string },
  precision: "fp32" | "int8",
  automatic: boolean,
  entryOf: (id: string) => Pick<ModelEntry, "file">,
  dirs: readonly string[],
): string {
  if (precision === "fp32") return ids.fp32;
  if (automatic && !findModelFile(entryOf(ids.int8), dirs) && findModelFile(entryOf(ids.fp32), dirs)) return ids.fp32;
  return ids.int8;
}
