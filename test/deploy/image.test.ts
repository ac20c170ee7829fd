/**
 * deploy/image/: the SD-card image. Fast and structural: the build script's argument handling (it never
 * builds here), the first-boot config mapper (deploy/image/first-boot-config.ts), the files the image
 * adds. A built image is checked by test/deploy/image-built.e2e.ts (`npm run image:check`); the full build
 * and the QEMU boot test are `npm run image:build` / `npm run image:boot-test` (deploy/image/README.md).
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { parseAgentConfig } from "../../agent/config.js";
import {
  deriveAgentId,
  firstBootMain,
  normaliseSerial,
  parseConfigText,
  planFirstBoot,
  readDeviceIdentity,
  wpaPsk,
} from "../../deploy/image/first-boot-config.js";
import { repoRoot } from "./repo-root.js";

const imageDir = join(repoRoot, "deploy", "image");
const build = join(imageDir, "build");
const minimal = { kafka: { brokers: ["hub:9092"] } };
const pi = { serial: "10000000a1b2c3d4", machineId: "0123456789abcdef0123456789abcdef" };

function runBuild(args: string[]) {
  return spawnSync("bash", [build, ...args], { encoding: "utf8", env: { ...process.env, PATH: process.env.PATH } });
}

function fileOf(plan: ReturnType<typeof planFirstBoot>, path: string): string {
  const f = plan.files.find((x) => x.path === path);
  assert.ok(f, `${path} is in the plan (${plan.files.map((x) => x.path).join(", ")})`);
  return f.content;
}

function throwsField(input: unknown, field: string, device = pi) {
  assert.throws(
    () => planFirstBoot(input, device),
    (e: Error) => {
      assert.equal(e.message.split("\n").length, 1, "one line");
      assert.ok(e.message.startsWith(`facefleet.yaml: ${field}: `), `'${e.message}' names ${field}`);
      return true;
    },
  );
}

// ---------- the build script's command line ----------

for (const [args, pattern] of [
  [["--arch", "armhf"], /unsupported --arch 'armhf'/],
  [["--arch"], /--arch needs a value/],
  [["--suite", "trixie"], /unsupported --suite 'trixie'/],
  [["--size", "3T"], /--size '3T' must be a size like 3G/],
  [["--size", "500M"], /too small/],
  [["--compress", "gzip"], /unsupported --compress 'gzip'/],
  [["--mirror", "ftp.example"], /--mirror 'ftp.example' must be an http/],
  [["--package", "/nonexistent/pkg.tar.gz"], /--package \/nonexistent\/pkg.tar.gz: no such file/],
  [["--bogus"], /unknown option '--bogus'/],
] as [string[], RegExp][]) {
  test(`build ${args.join(" ")}: one line on stderr, exit 2, nothing built`, () => {
    const r = runBuild(args);
    assert.equal(r.status, 2, r.stderr);
    const lines = r.stderr.trim().split("\n");
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] as string, /^image build: /);
    assert.match(lines[0] as string, pattern);
    assert.equal(r.stdout, "");
  });
}

test("build --help describes the options and exits 0", () => {
  const r = runBuild(["--help"]);
  assert.equal(r.status, 0);
  for (const opt of ["--arch", "--suite", "--out", "--size", "--compress", "--package"]) assert.match(r.stdout, new RegExp(opt));
});

test("the build script and the first-boot wrapper are valid shell; the build assembles without loop mounts", () => {
  execFileSync("bash", ["-n", build]);
  execFileSync("sh", ["-n", join(imageDir, "rootfs/usr/local/sbin/facefleet-first-boot")]);
  const script = readFileSync(build, "utf8");
  assert.doesNotMatch(script, /losetup|kpartx|\bmount -o loop|\bmount [^-]*\.img/);
  for (const step of ["mmdebstrap", "mkfs.ext4", '-d "$rootfs"', "mkfs.vfat", "mcopy", "sfdisk", "conv=notrunc", ".partial"])
    assert.ok(script.includes(step), `build uses ${step}`);
  assert.ok(statSync(build).mode & 0o111, "build is executable");
  assert.ok(statSync(join(imageDir, "rootfs/usr/local/sbin/facefleet-first-boot")).mode & 0o111, "the wrapper is executable");
});

test("the first-boot unit runs before the network, SSH and the agent, and reads the boot partition", () => {
  const unit = readFileSync(join(imageDir, "rootfs/etc/systemd/system/facefleet-first-boot.service"), "utf8");
  assert.match(unit, /^Before=.*network-pre\.target/m);
  assert.match(unit, /^Before=.*facefleet-agent\.service/m);
  assert.match(unit, /^Before=.*ssh\.service/m);
  assert.match(unit, /^RequiresMountsFor=\/boot\/firmware/m);
  assert.match(unit, /^ExecStart=\/usr\/local\/sbin\/facefleet-first-boot$/m);
  assert.match(unit, /^WantedBy=multi-user\.target$/m);
  const wrapper = readFileSync(join(imageDir, "rootfs/usr/local/sbin/facefleet-first-boot"), "utf8");
  assert.match(wrapper, /dist\/deploy\/image\/first-boot-config\.js" --boot "\$BOOT" --root \//);
  assert.match(wrapper, /facefleet-error\.txt/);
  assert.match(wrapper, /ssh-keygen -A/);
});

// ---------- agent id ----------

test("serial-derived agent id: /proc/cpuinfo Serial, device-tree serial-number, else machine-id", () => {
  const root = mkdtempSync(join(tmpdir(), "facefleet-image-dev-"));
  try {
    mkdirSync(join(root, "proc"), { recursive: true });
    writeFileSync(
      join(root, "proc/cpuinfo"),
      "processor\t: 0\nHardware\t: BCM2835\nRevision\t: c03111\nSerial\t\t: 10000000A1B2C3D4\nModel\t\t: Raspberry Pi 4\n",
    );
    mkdirSync(join(root, "etc"));
    writeFileSync(join(root, "etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
    assert.deepEqual(readDeviceIdentity(root), { serial: "10000000A1B2C3D4", machineId: "0123456789abcdef0123456789abcdef" });
    assert.equal(deriveAgentId("serial", "pi-", readDeviceIdentity(root)), "pi-10000000a1b2c3d4");

    writeFileSync(join(root, "proc/cpuinfo"), "processor\t: 0\n"); // Pi 5 / newer kernels: no Serial line
    mkdirSync(join(root, "sys/firmware/devicetree/base"), { recursive: true });
    writeFileSync(join(root, "sys/firmware/devicetree/base/serial-number"), "00000000e5f6a7b8\0");
    assert.equal(deriveAgentId("serial", "", readDeviceIdentity(root)), "e5f6a7b8");

    rmSync(join(root, "sys"), { recursive: true }); // QEMU, a PC: machine-id
    assert.equal(deriveAgentId("SERIAL", "edge-", readDeviceIdentity(root)), "edge-0123456789ab");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  assert.equal(normaliseSerial("0000000000000000"), undefined);
  assert.equal(normaliseSerial("not-hex"), undefined);
  assert.equal(deriveAgentId("door-pi", "", {}), "door-pi");
  assert.throws(() => deriveAgentId("serial", "", {}), /facefleet\.yaml: agent\.id: 'serial' but this device has no serial/);
  assert.throws(() => deriveAgentId("has space", "", pi), /facefleet\.yaml: agent\.id: 'has space' must be/);
});

// ---------- the mapping ----------

test("a minimal facefleet.yaml: agent.json valid for the agent's schema, inference only, hostname = id", () => {
  const plan = planFirstBoot(minimal, pi);
  assert.equal(plan.agentId, "10000000a1b2c3d4");
  assert.equal(plan.hostname, "10000000a1b2c3d4");
  assert.equal(plan.wifi, false);
  assert.equal(plan.sshUser, undefined);
  const agent = JSON.parse(fileOf(plan, "etc/facefleet/agent.json"));
  assert.deepEqual(agent, {
    agentId: "10000000a1b2c3d4",
    kafka: { brokers: ["hub:9092"] },
    capture: { stateDir: "/var/lib/facefleet/capture" },
  });
  const parsed = parseAgentConfig(agent);
  assert.equal(parsed.roles.inference, true);
  assert.equal(fileOf(plan, "etc/hostname"), "10000000a1b2c3d4\n");
  assert.match(fileOf(plan, "etc/hosts"), /^127\.0\.1\.1\t10000000a1b2c3d4$/m);
  assert.equal(plan.files.find((f) => f.path === "etc/facefleet/agent.json")?.mode, 0o640);
});

test("every section lands where it belongs: MQTT credentials, Kafka SASL, cameras, extra agent fields, hosts", () => {
  const plan = planFirstBoot(
    {
      agent: {
        id: "serial",
        idPrefix: "pi-",
        inference: false,
        cameras: ["/dev/video0", { camera: "yard", source: "rtsp://10.0.0.9/stream", fps: 5 }],
        config: { recognition: { threads: 2 }, worker: { watchlist: ["Alice"] } },
      },
      kafka: { brokers: "hub:9092, hub2:9092", ssl: true, sasl: { mechanism: "scram-sha-512", username: "edge", password: "k-pass" } },
      coordinator: { mqtt: { url: "mqtt://hub:1883", username: "facefleet", password: "m-pass" } },
      hostname: "Door_Pi",
      hosts: { hub: "192.168.1.10" },
    },
    pi,
  );
  const agent = JSON.parse(fileOf(plan, "etc/facefleet/agent.json"));
  assert.equal(agent.agentId, "pi-10000000a1b2c3d4");
  assert.deepEqual(agent.kafka, {
    brokers: ["hub:9092", "hub2:9092"],
    ssl: true,
    sasl: { mechanism: "scram-sha-512", username: "edge", password: "k-pass" },
  });
  assert.deepEqual(agent.mqtt, { url: "mqtt://hub:1883", username: "facefleet", password: "m-pass" });
  assert.deepEqual(agent.roles, {
    capture: [
      { camera: "pi-10000000a1b2c3d4-video0", source: "/dev/video0" },
      { camera: "yard", source: "rtsp://10.0.0.9/stream", fps: 5 },
    ],
    inference: false,
  });
  assert.deepEqual(agent.recognition, { threads: 2 });
  assert.deepEqual(agent.worker, { watchlist: ["Alice"] });
  parseAgentConfig(agent);
  assert.equal(plan.hostname, "door-pi");
  assert.match(fileOf(plan, "etc/hosts"), /^192\.168\.1\.10\thub$/m);
  assert.match(plan.summary, /agent pi-10000000a1b2c3d4, kafka hub:9092,hub2:9092, mqtt mqtt:\/\/hub:1883/);
});

test("Wi-Fi: wpa_supplicant-wlan0.conf with the country and the hashed PSK (no plaintext passphrase), mode 0600", () => {
  // IEEE 802.11i-2004 Annex H.4 test vector.
  assert.equal(wpaPsk("IEEE", "password"), "f42c6fc52df0ebef9ebb4b90b38a5f902e83fe1b135a70e23aed762e9710a12e");
  const plan = planFirstBoot({ ...minimal, wifi: { country: "de", ssid: "shop floor", password: "correct horse", hidden: true } }, pi);
  assert.equal(plan.wifi, true);
  const conf = fileOf(plan, "etc/wpa_supplicant/wpa_supplicant-wlan0.conf");
  assert.match(conf, /^country=DE$/m);
  assert.match(conf, /^\tssid="shop floor"$/m);
  assert.match(conf, /^\tscan_ssid=1$/m);
  assert.match(conf, new RegExp(`^\\tpsk=${wpaPsk("shop floor", "correct horse")}$`, "m"));
  assert.doesNotMatch(conf, /correct horse/);
  assert.equal(plan.files.find((f) => f.path.endsWith("wpa_supplicant-wlan0.conf"))?.mode, 0o600);
  const open = fileOf(
    planFirstBoot({ ...minimal, wifi: { country: "US", ssid: "guest" } }, pi),
    "etc/wpa_supplicant/wpa_supplicant-wlan0.conf",
  );
  assert.match(open, /key_mgmt=NONE/);
});

test("SSH: authorized_keys for the login user (default admin, or root)", () => {
  const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ops@laptop";
  const plan = planFirstBoot({ ...minimal, ssh: { authorizedKeys: [key, "ecdsa-sha2-nistp256 AAAAE2VjZHNh second"] } }, pi);
  assert.equal(plan.sshUser, "admin");
  assert.equal(fileOf(plan, "home/admin/.ssh/authorized_keys"), `${key}\necdsa-sha2-nistp256 AAAAE2VjZHNh second\n`);
  const asRoot = planFirstBoot({ ...minimal, ssh: { user: "root", authorizedKeys: key } }, pi);
  assert.equal(fileOf(asRoot, "root/.ssh/authorized_keys"), `${key}\n`);
});

test("validation errors are one line naming the facefleet.yaml field", () => {
  throwsField({}, "kafka");
  throwsField({ kafka: { brokers: [] } }, "kafka.brokers");
  throwsField({ kafka: { brokers: ["no-port"] } }, "kafka.brokers.0");
  throwsField({ kafka: { brokers: ["h:1"], sasl: { mechanism: "kerberos" } } }, "kafka.sasl.mechanism");
  throwsField({ kafka: { brokers: ["h:1"], topic: "x" } }, "kafka.topic");
  throwsField({ ...minimal, coordinator: { mqtt: { url: "http://hub" } } }, "coordinator.mqtt.url");
  throwsField({ ...minimal, coordinator: { mqtt: "mqtt://hub:1883" } }, "coordinator.mqtt");
  throwsField({ ...minimal, agent: { id: "a b" } }, "agent.id");
  throwsField({ ...minimal, agent: { inference: "yes" } }, "agent.inference");
  throwsField({ ...minimal, agent: { inference: false } }, "agent.inference / agent.cameras");
  throwsField({ ...minimal, agent: { cameras: [{ camera: "c", source: "/dev/video0", fps: 0 }] } }, "agent.cameras.0.fps");
  throwsField({ ...minimal, agent: { config: { worker: { maxFrameAgeMs: -1 } } } }, "agent.config.worker.maxFrameAgeMs");
  throwsField({ ...minimal, wifi: { ssid: "x" } }, "wifi.country");
  throwsField({ ...minimal, wifi: { country: "Germany", ssid: "x" } }, "wifi.country");
  throwsField({ ...minimal, wifi: { country: "DE" } }, "wifi.ssid");
  throwsField({ ...minimal, wifi: { country: "DE", ssid: "x", password: "short" } }, "wifi.password");
  throwsField({ ...minimal, wifi: { country: "DE", ssid: 'say "hi"', password: "long enough" } }, "wifi.ssid");
  throwsField({ ...minimal, ssh: { authorizedKeys: ["not a key"] } }, "ssh.authorizedKeys[0]");
  throwsField({ ...minimal, ssh: { authorizedKeys: [] } }, "ssh.authorizedKeys");
  throwsField({ ...minimal, ssh: { user: "Bad User", authorizedKeys: ["ssh-ed25519 AAAA"] } }, "ssh.user");
  throwsField({ ...minimal, hostname: "-bad-" }, "hostname");
  throwsField({ ...minimal, hosts: { hub: "not-an-ip" } }, "hosts.hub");
  throwsField({ ...minimal, wlan: {} }, "wlan");
  throwsField(["a list"], "(top)");
});

test("facefleet.yaml and facefleet.json both parse; bad syntax is one line", () => {
  assert.deepEqual(parseConfigText("kafka:\n  brokers: [hub:9092]\n", "/boot/firmware/facefleet.yaml"), minimal);
  assert.deepEqual(parseConfigText(JSON.stringify(minimal), "/boot/firmware/facefleet.json"), minimal);
  assert.throws(() => parseConfigText("kafka: [", "/b/facefleet.yaml"), /^FacefleetError: facefleet\.yaml: not valid YAML/);
  assert.throws(() => parseConfigText("{", "/b/facefleet.json"), /facefleet\.json: not valid JSON/);
  assert.throws(() => parseConfigText("a: 1", "/b/facefleet.yaml", () => undefined), /use facefleet\.json instead/);
});

test("the shipped example facefleet.yaml is valid as it is", () => {
  const text = readFileSync(join(imageDir, "facefleet.yaml"), "utf8");
  const plan = planFirstBoot(parseConfigText(text, "facefleet.yaml"), pi);
  assert.equal(plan.agentId, "pi-10000000a1b2c3d4");
  const agent = JSON.parse(fileOf(plan, "etc/facefleet/agent.json"));
  assert.equal(agent.mqtt.url, "mqtt://facefleet-hub.local:1883");
  parseAgentConfig(agent);
});

test("first-boot-config main: writes the files under --root, again changes nothing, a bad file writes nothing", () => {
  const dir = mkdtempSync(join(tmpdir(), "facefleet-image-boot-"));
  const out: string[] = [];
  const err: string[] = [];
  const saved = [process.stdout.write, process.stderr.write];
  process.stdout.write = ((s: string) => out.push(s) > 0) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => err.push(s) > 0) as typeof process.stderr.write;
  try {
    mkdirSync(join(dir, "boot"));
    mkdirSync(join(dir, "dev/etc"), { recursive: true });
    writeFileSync(join(dir, "dev/etc/machine-id"), "fedcba9876543210fedcba9876543210\n");
    writeFileSync(
      join(dir, "boot/facefleet.yaml"),
      "agent: { id: serial, idPrefix: q- }\nkafka: { brokers: ['10.0.2.2:9092'] }\nssh: { authorizedKeys: ['ssh-ed25519 AAAA k'] }\n",
    );
    const args = ["--boot", join(dir, "boot"), "--root", join(dir, "root"), "--device-root", join(dir, "dev")];
    assert.equal(firstBootMain(args), 0, err.join(""));
    assert.match(
      out.join(""),
      /agent q-fedcba987654, .*wrote etc\/facefleet\/agent\.json etc\/hostname etc\/hosts home\/admin\/\.ssh\/authorized_keys/,
    );
    assert.match(out.join(""), /^hostname=q-fedcba987654$/m);
    assert.match(out.join(""), /^ssh-user=admin$/m);
    assert.equal(JSON.parse(readFileSync(join(dir, "root/etc/facefleet/agent.json"), "utf8")).agentId, "q-fedcba987654");
    assert.equal(statSync(join(dir, "root/etc/facefleet/agent.json")).mode & 0o777, 0o640);
    out.length = 0;
    assert.equal(firstBootMain(args), 0);
    assert.match(out.join(""), /nothing changed/);

    writeFileSync(join(dir, "boot/facefleet.yaml"), "kafka: { brokers: [] }\n");
    rmSync(join(dir, "root"), { recursive: true });
    assert.equal(firstBootMain(args), 1);
    assert.equal(err.join("").trim().split("\n").length, 1);
    assert.match(err.join(""), /^first-boot-config: facefleet\.yaml: kafka\.brokers: /);
    assert.equal(existsSync(join(dir, "root")), false);

    err.length = 0;
    assert.equal(firstBootMain(["--boot", join(dir, "nothing-here")]), 2);
    assert.match(err.join(""), /no facefleet\.yaml or facefleet\.json in /);
    assert.equal(firstBootMain(["--wat"]), 2);
  } finally {
    [process.stdout.write, process.stderr.write] = saved as [typeof process.stdout.write, typeof process.stderr.write];
    rmSync(dir, { recursive: true, force: true });
  }
});

test("first-boot-config runs as a script through a symlinked release folder (/opt/facefleet/current on a device)", () => {
  const dir = mkdtempSync(join(tmpdir(), "facefleet-image-link-"));
  try {
    symlinkSync(repoRoot, join(dir, "current"));
    mkdirSync(join(dir, "boot"));
    mkdirSync(join(dir, "dev/etc"), { recursive: true });
    writeFileSync(join(dir, "dev/etc/machine-id"), "fedcba9876543210fedcba9876543210\n");
    writeFileSync(join(dir, "boot/facefleet.yaml"), "agent: { id: door-1 }\nkafka: { brokers: ['hub:9092'] }\n");
    const script = join(dir, "current", "dist", "deploy", "image", "first-boot-config.js");
    const args = [script, "--boot", join(dir, "boot"), "--root", join(dir, "root"), "--device-root", join(dir, "dev")];
    const run = spawnSync(process.execPath, args, { encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.match(run.stdout, /^hostname=door-1$/m, "the script ran (a main-module check that ignores symlinks prints nothing)");
    assert.equal(JSON.parse(readFileSync(join(dir, "root/etc/facefleet/agent.json"), "utf8")).agentId, "door-1");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
