/**
 * The layering of docs/architecture.md, enforced: a module imports only from its own layer or the layers below.
 * Every relative import (static `from`, dynamic `import()`) of every TypeScript file of the tracked tree is read.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { test } from "node:test";
import { repoRoot } from "../../testing/paths.js";

/** Lowest first. A folder may import from folders of a lower rank and from itself. */
export const layers: Record<string, number> = {
  core: 0,
  models: 1,
  media: 1,
  recognition: 2,
  protocol: 3,
  kafka: 4,
  gallery: 5,
  agent: 6,
  coordinator: 7,
  config: 8,
  demo: 8,
  cli: 9,
  testing: 10,
  deploy: 11,
  balena: 11,
  bench: 12,
  test: 13,
};

function* typescriptFiles(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name === "dist" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* typescriptFiles(path);
    else if (/\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) yield path;
  }
}

const importPattern = /(?:from\s+|import\(\s*)["'](\.{1,2}\/[^"']+)["']/g;

test("no import runs upward: every module imports from its own layer or a lower one", () => {
  const upward: string[] = [];
  let checked = 0;
  for (const top of Object.keys(layers)) {
    let files: string[];
    try {
      files = [...typescriptFiles(join(repoRoot, top))];
    } catch {
      continue; // a layer with no folder yet
    }
    for (const file of files) {
      const source = readFileSync(file, "utf8");
      for (const match of source.matchAll(importPattern)) {
        checked++;
        const target = relative(repoRoot, normalize(join(dirname(file), match[1] as string))).split("/")[0] as string;
        const rank = layers[target];
        if (target !== top && rank !== undefined && rank >= (layers[top] as number))
          upward.push(`${relative(repoRoot, file)} imports ${match[1]} (${top} may not import ${target})`);
      }
    }
  }
  assert.ok(checked > 500, `only ${checked} imports read: the scan is broken`);
  assert.deepEqual(upward, [], `upward imports:\n${upward.join("\n")}`);
});
