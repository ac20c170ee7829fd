/**
 * A built SD-card image (`npm run image:check`, after `npm run image:build`; FACEFLEET_IMAGE names it, default the
 * newest in .facefleet/image/): MBR with a FAT boot partition and an ext4 root, firmware, kernel, the agent and the
 * first-boot service inside, read without mounting (sfdisk --json, mtools, debugfs). Not part of `npm test`: the
 * build takes most of an hour on 2 cores (an arm64 rootfs under emulation).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseConfigText, planFirstBoot } from "../../deploy/image/first-boot-config.js";
import { repoRoot } from "./repo-root.js";

const _imageDir = join(repoRoot, "deploy", "image");

// ---------- a built image (FACEFLEET_IMAGE=.facefleet/image/facefleet-agent-…-bookworm-arm64.img.xz) ----------

const image = process.env.FACEFLEET_IMAGE ?? newestImage();

function newestImage(): string | undefined {
  const dir = join(repoRoot, ".facefleet", "image");
  if (!existsSync(dir)) return undefined;
  const images = readdirSync(dir)
    .filter((f) => /\.img(\.xz|\.zst)?$/.test(f))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  return images[0];
}

/** The device facts first boot would see (as in image.test.ts). */
const pi = { serial: "10000000a1b2c3d4", machineId: "0123456789abcdef0123456789abcdef" };

test("a built image: MBR with a FAT boot partition and an ext4 root; firmware, kernel, agent and first boot inside", {
  timeout: 300_000,
}, () => {
  assert.ok(image, "no image: build one with npm run image:build, or set FACEFLEET_IMAGE");
  const file = image;
  assert.ok(existsSync(file), `${file} exists`);
  const dir = mkdtempSync(join(tmpdir(), "facefleet-image-check-"));
  try {
    let raw = file;
    if (/\.xz$/.test(file)) {
      raw = join(dir, "image.img");
      execFileSync("sh", ["-c", `xz -dc "$1" > "$2"`, "sh", file, raw]);
    } else if (/\.zst$/.test(file)) {
      raw = join(dir, "image.img");
      execFileSync("zstd", ["-q", "-d", file, "-o", raw]);
    }
    const table = JSON.parse(execFileSync("sfdisk", ["--json", raw], { encoding: "utf8" })).partitiontable;
    assert.equal(table.label, "dos");
    assert.equal(table.partitions.length, 2);
    const [boot, rootPart] = table.partitions;
    assert.equal(boot.type, "c");
    assert.equal(boot.bootable, true);
    assert.equal(rootPart.type, "83");
    assert.equal(boot.start % 2048, 0, "aligned to 1 MiB");

    const fat = `${raw}@@${boot.start * 512}`;
    const listing = execFileSync("mdir", ["-b", "-i", fat, "::/"], { encoding: "utf8" });
    for (const f of [
      "start4.elf",
      "fixup4.dat",
      "bcm2711-rpi-4-b.dtb",
      "vmlinuz",
      "initrd.img",
      "config.txt",
      "cmdline.txt",
      "facefleet.yaml",
    ])
      assert.match(listing, new RegExp(`/${f.replace(".", "\\.")}$`, "m"), `${f} on the boot partition`);
    const cmdline = execFileSync("mtype", ["-i", fat, "::/cmdline.txt"], { encoding: "utf8" });
    assert.match(cmdline, /root=LABEL=RASPIROOT/);
    const yaml = execFileSync("mtype", ["-i", fat, "::/facefleet.yaml"], { encoding: "utf8" });
    planFirstBoot(parseConfigText(yaml, "facefleet.yaml"), pi);

    const ext4 = join(dir, "root.ext4");
    execFileSync("dd", [`if=${raw}`, `of=${ext4}`, "bs=512", `skip=${rootPart.start}`, `count=${rootPart.size}`, "status=none"]);
    const ls = (p: string) =>
      execFileSync("debugfs", ["-R", `ls -l ${p}`, ext4], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    const cat = (p: string) => execFileSync("debugfs", ["-R", `cat ${p}`, ext4], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] });
    assert.match(ls("/usr/local/lib/nodejs/bin"), /\bnode\b/);
    assert.match(ls("/opt/facefleet"), /current/);
    assert.match(
      ls("/opt/facefleet/current/app/node_modules/yaml"),
      /package\.json/,
      "the YAML parser for facefleet.yaml ships with the app",
    );
    assert.match(
      cat("/etc/systemd/system/facefleet-agent.service"),
      /ExecStart=.*facefleet\.js agent --config \/etc\/facefleet\/agent\.json/,
    );
    assert.match(cat("/etc/systemd/system/facefleet-first-boot.service"), /facefleet-first-boot/);
    assert.match(ls("/etc/systemd/system/multi-user.target.wants"), /facefleet-agent\.service/);
    assert.match(ls("/etc/systemd/system/multi-user.target.wants"), /facefleet-first-boot\.service/);
    assert.match(cat("/etc/fstab"), /LABEL=RASPIFIRM\s+\/boot\/firmware\s+vfat/);
    assert.equal(cat("/etc/machine-id"), "", "machine-id is empty: each device makes its own");
    assert.doesNotMatch(ls("/etc/ssh"), /ssh_host_ed25519_key/, "no SSH host keys shipped");
    assert.match(cat("/etc/passwd"), /^facefleet:/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
