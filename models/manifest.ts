import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { FacefleetError } from "../core/errors.js";
import { formatZodIssue } from "../core/format-issue.js";
import {
  type AttributeModelEntry,
  type DetectorModel,
  type Manifest,
  type ModelEntry,
  manifestSchema,
  type RecognizerModel,
} from "./manifest-schema.js";

/** models/manifest.json of this package (next to the sources, one level above dist/models when compiled). */
export function manifestPath(): string {
  const here = fileURLToPath(new URL(".", import.meta.url));
  const found = [`${here}manifest.json`, `${here}../../models/manifest.json`].find((candidate) => existsSync(candidate));
  if (!found) throw new FacefleetError(`models/manifest.json not found next to ${here}`);
  return found;
}

const loaded = new Map<string, Manifest>();

/** The validated manifest (read once per path). */
export function loadManifest(path = manifestPath()): Manifest {
  const known = loaded.get(path);
  if (known) return known;
  const parsed = manifestSchema.safeParse(JSON.parse(readFileSync(path, "utf8")));
  if (!parsed.success) throw new FacefleetError(`${path}: ${formatZodIssue(parsed.error)}`);
  loaded.set(path, parsed.data);
  return parsed.data;
}

export function getModel(id: string, manifest = loadManifest()): ModelEntry & { id: string } {
  const entry = manifest.models[id];
  if (!entry) throw new FacefleetError(`unknown model '${id}' (known: ${Object.keys(manifest.models).join(", ")})`);
  return { ...entry, id };
}

export function getDetector(id: string, manifest = loadManifest()): DetectorModel & { id: string } {
  const entry = getModel(id, manifest);
  if (entry.role !== "detector") throw new FacefleetError(`model '${id}' is a ${entry.role}, not a detector`);
  return entry;
}

export function getRecognizer(id: string, manifest = loadManifest()): RecognizerModel & { id: string } {
  const entry = getModel(id, manifest);
  if (entry.role !== "recognizer") throw new FacefleetError(`model '${id}' is a ${entry.role}, not a recognizer`);
  return entry;
}

export function getAttributeModel(id: string, manifest = loadManifest()): AttributeModelEntry & { id: string } {
  const entry = getModel(id, manifest);
  if (entry.role !== "attribute") throw new FacefleetError(`model '${id}' is a ${entry.role}, not an attribute model`);
  return entry;
}
