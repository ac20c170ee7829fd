import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { defaultModelId } from "../../models/default-model.js";

const ids = { fp32: "rec-fp32", int8: "rec-int8" };
const entryOf = (id: string) => ({ file: `${id}.onnx` });

test("an automatic int8 default falls back to fp32 only when its file is missing; an explicit int8 does not", () => {
  const dir = mkdtempSync(join(tmpdir(), "facefleet-default-model-"));
  try {
    writeFileSync(join(dir, "rec-fp32.onnx"), "x");
    assert.equal(defaultModelId(ids, "fp32", true, entryOf, [dir]), "rec-fp32");
    assert.equal(defaultModelId(ids, "int8", true, entryOf, [dir]), "rec-fp32", "auto, int8 file missing: fp32");
    assert.equal(defaultModelId(ids, "int8", false, entryOf, [dir]), "rec-int8", "--precision int8: the int8 model, reported missing");
    writeFileSync(join(dir, "rec-int8.onnx"), "x");
    assert.equal(defaultModelId(ids, "int8", true, entryOf, [dir]), "rec-int8", "auto, int8 file present: int8");
    rmSync(join(dir, "rec-fp32.onnx"));
    rmSync(join(dir, "rec-int8.onnx"));
    assert.equal(defaultModelId(ids, "int8", true, entryOf, [dir]), "rec-int8", "neither present: the int8 one is reported missing");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
