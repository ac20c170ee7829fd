/**
 * deploy/package/: the default agent config is valid for agent/config.ts, the systemd unit keeps its promises,
 * install.sh installs idempotently under --prefix, and build-agent-package.sh --arch arm64 produces a tarball
 * that carries linux-arm64 sharp and onnxruntime-node binaries (an npm ci against the registry or its cache;
 * about 15 s on the 2-core build machine).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { arch, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseAgentConfig } from "../../agent/config.js";
import { repoRoot } from "./repo-root.js";

const pkgDir = join(repoRoot, "deploy/package");

test("agent.example.json is valid against the agent's config schema", () => {
  const config = parseAgentConfig(JSON.parse(readFileSync(join(pkgDir, "agent.example.json"), "utf8")), "agent.example.json");
  assert.equal(config.roles.inference, true);
  assert.equal(config.roles.capture[0]?.source, "/dev/video0");
  assert.equal(config.capture.stateDir, "/var/lib/facefleet/capture");
  assert.ok(config.mqtt?.url);
});

test("facefleet-agent.service: unprivileged user in group video, restart on failure, hardening that keeps /dev/video*", () => {
  const unit = readFileSync(join(pkgDir, "facefleet-agent.service"), "utf8");
  const settings = unit
    .split("\n")
    .filter((l) => /^[A-Za-z]+=/.test(l))
    .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const);
  const get = (key: string) => settings.filter(([k]) => k === key).map(([, v]) => v);
  assert.deepEqual(get("User"), ["facefleet"]);
  assert.deepEqual(get("SupplementaryGroups"), ["video"]);
  assert.deepEqual(get("Restart"), ["on-failure"]);
  assert.deepEqual(get("ProtectSystem"), ["strict"]);
  assert.deepEqual(get("NoNewPrivileges"), ["yes"]);
  // The agent does not call sd_notify: a watchdog would kill it; PrivateDevices/DevicePolicy would hide the camera.
  for (const absent of ["WatchdogSec", "PrivateDevices", "DevicePolicy", "MemoryDenyWriteExecute", "NotifyAccess"])
    assert.deepEqual(get(absent), [], absent);
  assert.deepEqual(get("Type"), ["simple"]);
  // Two malloc arenas: the agent's peak RSS without one arena per allocating thread (bench/results/agent-memory.md).
  assert.ok(get("Environment").includes("MALLOC_ARENA_MAX=2"), `Environment= lines: ${get("Environment").join(" | ")}`);
  assert.match(
    get("ExecStart")[0] ?? "",
    /\/opt\/facefleet\/current\/app\/bin\/facefleet\.js agent --config \/etc\/facefleet\/agent\.json$/,
  );
});

function sh(script: string, args: string[], env: Record<string, string> = {}) {
  return spawnSync("bash", [script, ...args], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 240_000 });
}

test("build-agent-package.sh: bad input is one line and a non-zero exit", () => {
  const script = join(pkgDir, "build-agent-package.sh");
  for (const args of [["--arch", "mips"], ["--bogus"], ["--arch"]]) {
    const run = sh(script, args);
    assert.equal(run.status, 2, `${args.join(" ")}: ${run.stderr}`);
    assert.match(run.stderr, /^build-agent-package: [^\n]+\(.+\)\n$/);
  }
});

test("install.sh --prefix: installs, is idempotent, and refuses a package of another architecture", () => {
  assert.ok(existsSync(join(repoRoot, "dist/agent/config.js")), "dist/ is not built: npm run build");
  const dir = mkdtempSync(join(tmpdir(), "facefleet-install-"));
  try {
    // A package folder as build-agent-package.sh lays it out, whose app/ is this checkout (built).
    const pkg = join(dir, `facefleet-agent-0.1.0-linux-${arch()}`);
    mkdirSync(pkg);
    symlinkSync(repoRoot, join(pkg, "app"));
    for (const f of ["agent.example.json", "facefleet-agent.service", "install.sh"])
      writeFileSync(join(pkg, f), readFileSync(join(pkgDir, f)));
    writeFileSync(join(pkg, "BUILD-INFO.json"), JSON.stringify({ name: "facefleet-agent", version: "0.1.0", arch: arch() }));
    const prefix = join(dir, "root");
    const first = sh(join(pkg, "install.sh"), ["--prefix", prefix, "--agent-id", "test-node"]);
    assert.equal(first.status, 0, first.stderr);
    assert.match(first.stdout, /installing release/);
    assert.equal(readlinkSync(join(prefix, "opt/facefleet/current")), `releases/${pkg.split("/").pop()}`);
    const config = parseAgentConfig(JSON.parse(readFileSync(join(prefix, "etc/facefleet/agent.json"), "utf8")));
    assert.equal(config.agentId, "test-node");
    assert.equal(config.roles.capture[0]?.camera, "test-node-cam0");
    const unit = readFileSync(join(prefix, "etc/systemd/system/facefleet-agent.service"), "utf8");
    assert.ok(unit.includes(`${prefix}/opt/facefleet/current/app/bin/facefleet.js agent --config ${prefix}/etc/facefleet/agent.json`));
    assert.ok(existsSync(join(prefix, "usr/local/bin/facefleet")));
    assert.ok(existsSync(join(prefix, "var/lib/facefleet/models")));

    const second = sh(join(pkg, "install.sh"), ["--prefix", prefix]);
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, /already installed/);
    assert.match(second.stdout, /keeping existing/);
    assert.match(second.stdout, /unit facefleet-agent.service unchanged/);
    assert.doesNotMatch(second.stdout, /switching/);
    assert.deepEqual(readdirSync(join(prefix, "opt/facefleet/releases")), [pkg.split("/").pop()]);

    writeFileSync(join(pkg, "BUILD-INFO.json"), JSON.stringify({ arch: arch() === "arm64" ? "x64" : "arm64" }));
    const wrongArch = sh(join(pkg, "install.sh"), ["--prefix", join(dir, "other")]);
    assert.equal(wrongArch.status, 1);
    assert.match(wrongArch.stderr, /^install\.sh: this package is for linux\/\w+, this machine is \w+/);
    const badConfig = join(dir, "bad.json");
    writeFileSync(badConfig, JSON.stringify({ agentId: "x", worker: { maxFrameAgeMs: "soon" } }));
    writeFileSync(join(pkg, "BUILD-INFO.json"), JSON.stringify({ arch: arch() }));
    const bad = sh(join(pkg, "install.sh"), ["--prefix", prefix, "--config", badConfig]);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /worker\.maxFrameAgeMs/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("build-agent-package.sh --arch arm64: the tarball carries linux-arm64 sharp and onnxruntime-node", { timeout: 250_000 }, () => {
  assert.ok(existsSync(join(repoRoot, "dist/cli/main.js")), "dist/ is not built: npm run build");
  const out = mkdtempSync(join(tmpdir(), "facefleet-package-"));
  try {
    const run = sh(join(pkgDir, "build-agent-package.sh"), ["--arch", "arm64", "--no-build", "--out", out]);
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    const files = readdirSync(out);
    assert.equal(files.length, 1);
    const tarball = files[0] ?? "";
    assert.match(tarball, /^facefleet-agent-\d+\.\d+\.\d+[^/]*-linux-arm64\.tar\.gz$/);
    const list = spawnSync("tar", ["tzf", join(out, tarball)], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 }).stdout.split("\n");
    const top = tarball.replace(/\.tar\.gz$/, "");
    const has = (re: RegExp) => list.some((f) => re.test(f));
    assert.ok(has(new RegExp(`^${top}/app/node_modules/@img/sharp-linux-arm64/lib/sharp-linux-arm64[^/]*\\.node$`)));
    assert.ok(has(new RegExp(`^${top}/app/node_modules/@img/sharp-libvips-linux-arm64/lib/libvips-cpp\\.so`)));
    assert.ok(has(new RegExp(`^${top}/app/node_modules/onnxruntime-node/bin/napi-v\\d+/linux/arm64/onnxruntime_binding\\.node$`)));
    assert.ok(!has(/sharp-linux-x64|napi-v\d+\/linux\/x64|napi-v\d+\/(darwin|win32)/), "only arm64 binaries");
    assert.ok(!has(/node_modules\/(typescript|@biomejs|vite|tsx)\//), "no dev dependencies");
    for (const f of [
      "app/bin/facefleet.js",
      "app/dist/cli/main.js",
      "app/models/manifest.json",
      "agent.example.json",
      "facefleet-agent.service",
      "install.sh",
      "BUILD-INFO.json",
    ])
      assert.ok(list.includes(`${top}/${f}`), f);
    assert.ok(!has(/\.onnx$/), "no model file without --models");
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
