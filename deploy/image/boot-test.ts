/**
 * The image's boot test (`npm run image:boot-test`): boots a built SD-card image under QEMU and waits for
 * its agent to come online at a real coordinator.
 *
 *   node dist/deploy/image/boot-test.js [--image FILE.img.xz] [--timeout-s 1500] [--keep]
 *
 * On this machine: a Kafka broker (facefleet kafka up, testing/kafka-harness.ts) with the facefleet topics and a
 * coordinator (embedded MQTT) on loopback. The image (default: the newest .facefleet/image/*.img.xz) is
 * decompressed to a scratch copy; facefleet.yaml on its FAT partition is replaced by one pointing at them
 * (mcopy, no mount): MQTT at mqtt://10.0.2.2:<port> (QEMU's user-mode network maps 10.0.2.2 to this
 * machine's loopback). The test broker advertises 127.0.0.1:<port>, which inside the guest is the guest
 * itself, so the scratch copy also gets a small TCP relay unit (guest 127.0.0.1:<port> -> 10.0.2.2:<port>),
 * written into the ext4 partition with debugfs — the only change that is not in a real device's image.
 *
 * The same rootfs boots with Debian's generic arm64 kernel + initrd from the image (the .vmlinuz/.initrd
 * the build writes beside it) on `qemu-system-aarch64 -M virt -cpu cortex-a57 -m 2048` (no Raspberry Pi
 * firmware: that path cannot be emulated). Passes when GET /api/agents lists the agent online with a health
 * report and partitions, and a frame sent to its partitions comes back from it on facefleet.detections
 * with the face found (detected, aligned, embedded and matched: Unknown, the test gallery is empty).
 * The guest console goes to .facefleet/image/boot-test-console.log.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { isScriptEntry } from "../../core/run-as-script.js";
import {
  CoordinatorApi,
  DetectionLedger,
  FleetProcess,
  FrameFlow,
  TEST_MQTT_PASSWORD,
  writeCoordinatorConfig,
} from "../../testing/fleet.js";
import { createPlanTopic, createTopics, startBroker, type TestBroker } from "../../testing/kafka-harness.js";

const FRAMES_PARTITIONS = 2;
const log = (s: string) => process.stdout.write(`boot-test: [${new Date().toISOString().slice(11, 19)}] ${s}\n`);

function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      s.close(() => (typeof a === "object" && a ? res(a.port) : rej(new Error("no port"))));
    });
  });
}

/** Two consecutive free ports (broker + KRaft controller). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const p = await freePort();
    const ok = await new Promise<boolean>((res) => {
      const s = createServer();
      s.once("error", () => res(false));
      s.listen(p + 1, "127.0.0.1", () => s.close(() => res(true)));
    });
    if (ok && p < 65000) return p;
  }
}

function sh(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

export async function bootTest(argv: string[]): Promise<number> {
  const root = process.cwd();
  let image: string | undefined;
  let timeoutS = 1500;
  let keep = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--image" && argv[i + 1]) image = resolve(argv[++i] as string);
    else if (argv[i] === "--timeout-s" && argv[i + 1]) timeoutS = Number(argv[++i]);
    else if (argv[i] === "--keep") keep = true;
    else {
      process.stderr.write(`boot-test: unknown option '${argv[i]}' (--image FILE, --timeout-s N, --keep)\n`);
      return 2;
    }
  }
  const outDir = join(root, ".facefleet", "image");
  if (!image) {
    const found = existsSync(outDir)
      ? readdirSync(outDir)
          .filter((f) => /\.img\.(xz|zst)$/.test(f))
          .map((f) => join(outDir, f))
          .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)
      : [];
    image = found[0];
  }
  if (!image || !existsSync(image)) {
    process.stderr.write("boot-test: no image: build one with npm run image:build (or give --image FILE)\n");
    return 2;
  }
  const stem = image.replace(/\.img\.(xz|zst)$/, "");
  const kernel = `${stem}.vmlinuz`;
  const initrd = `${stem}.initrd`;
  for (const f of [kernel, initrd]) {
    if (existsSync(f)) continue;
    process.stderr.write(`boot-test: ${f} is missing (written by the build)\n`);
    return 2;
  }
  for (const tool of ["qemu-system-aarch64", "sfdisk", "mcopy", "debugfs"])
    try {
      sh("sh", ["-c", `command -v ${tool}`]);
    } catch {
      process.stderr.write(`boot-test: ${tool} is not installed (apt-get install qemu-system-arm fdisk mtools e2fsprogs)\n`);
      return 2;
    }

  const work = mkdtempSync(join(tmpdir(), "facefleet-boot-test-"));
  const consoleLog = join(outDir, "boot-test-console.log");
  let broker: TestBroker | undefined;
  let coordinator: FleetProcess | undefined;
  let qemu: ChildProcess | undefined;
  let flow: FrameFlow | undefined;
  let ledger: DetectionLedger | undefined;
  const started = Date.now();
  // Ctrl-C / SIGTERM: the finally below still stops QEMU, the coordinator and the broker.
  let interrupted: (() => void) | undefined;
  const interruptedP = new Promise<void>((res) => {
    interrupted = res;
  });
  const onSignal = () => interrupted?.();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    // ---- the host side: Kafka + coordinator ----
    const kafkaPort = await freePortPair();
    const mqttPort = await freePort();
    const httpPort = await freePort();
    const sshPort = await freePort();
    log(`starting Kafka on 127.0.0.1:${kafkaPort}`);
    broker = await startBroker(kafkaPort);
    await createTopics(broker.kafka, FRAMES_PARTITIONS);
    await createPlanTopic(broker.kafka);
    const config = writeCoordinatorConfig(
      work,
      { bootstrap: broker.bootstrap, mqttPort, httpPort },
      // An emulated Pi is slow: generous liveness so a late health report is not a death.
      { liveness: { missedHealthMs: 30_000, startupGraceMs: 60_000 } },
    );
    log(`starting the coordinator (MQTT 127.0.0.1:${mqttPort}, API 127.0.0.1:${httpPort})`);
    coordinator = new FleetProcess("coordinator", ["coordinator", "--config", config]);
    const api = new CoordinatorApi(`http://127.0.0.1:${httpPort}`);
    for (let i = 0; !(await api.reachable()); i++) {
      if (!coordinator.running || i > 120) throw new Error(`the coordinator did not start\n${coordinator.dump()}`);
      await sleep(500);
    }

    // ---- the scratch image ----
    log(`decompressing ${image}`);
    const disk = join(work, "disk.img");
    if (image.endsWith(".xz")) sh("sh", ["-c", `xz -dc "$1" > "$2"`, "sh", image, disk]);
    else sh("zstd", ["-q", "-d", image, "-o", disk]);
    const parts = JSON.parse(sh("sfdisk", ["--json", disk])).partitiontable.partitions as { start: number; size: number }[];
    const [boot, rootPart] = parts;
    if (!boot || !rootPart) throw new Error("the image has not two partitions");
    // A throw-away SSH key: on failure the test logs in (port-forwarded) and prints the units' journal.
    sh("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "boot-test", "-f", join(work, "id")]);
    const pub = readFileSync(join(work, "id.pub"), "utf8").trim();
    const yaml = [
      "agent:",
      "  id: serial",
      "  idPrefix: qemu-",
      "  config: { recognition: { threads: 2 }, worker: { statsLogIntervalMs: 10000 } }",
      "kafka:",
      `  brokers: ["127.0.0.1:${kafkaPort}"]`,
      "coordinator:",
      "  mqtt:",
      `    url: mqtt://10.0.2.2:${mqttPort}`,
      "    username: facefleet",
      `    password: ${TEST_MQTT_PASSWORD}`,
      "    healthIntervalMs: 2000",
      "ssh:",
      "  user: root",
      `  authorizedKeys: ["${pub}"]`,
      "",
    ].join("\n");
    writeFileSync(join(work, "facefleet.yaml"), yaml);
    sh("mcopy", ["-o", "-i", `${disk}@@${boot.start * 512}`, join(work, "facefleet.yaml"), "::/facefleet.yaml"]);

    const relayJs = `// boot test only: the test broker advertises 127.0.0.1:${kafkaPort}; forward it to the host
const net = require("node:net");
net.createServer((c) => { const u = net.connect(${kafkaPort}, "10.0.2.2"); c.pipe(u); u.pipe(c);
  c.on("error", () => u.destroy()); u.on("error", () => c.destroy()); }).listen(${kafkaPort}, "127.0.0.1");
`;
    const relayUnit = `[Unit]
Description=facefleet boot test: Kafka relay 127.0.0.1:${kafkaPort} -> 10.0.2.2:${kafkaPort}
Before=facefleet-agent.service
[Service]
ExecStart=/usr/local/bin/node /usr/local/lib/facefleet-boot-test-relay.cjs
[Install]
WantedBy=multi-user.target
`;
    writeFileSync(join(work, "relay.cjs"), relayJs);
    writeFileSync(join(work, "relay.service"), relayUnit);
    const rootFile = join(work, "root.ext4");
    sh("dd", [`if=${disk}`, `of=${rootFile}`, "bs=512", `skip=${rootPart.start}`, `count=${rootPart.size}`, "status=none"]);
    writeFileSync(
      join(work, "debugfs.cmd"),
      [
        `write ${join(work, "relay.cjs")} /usr/local/lib/facefleet-boot-test-relay.cjs`,
        `write ${join(work, "relay.service")} /etc/systemd/system/facefleet-boot-test-relay.service`,
        "symlink /etc/systemd/system/multi-user.target.wants/facefleet-boot-test-relay.service /etc/systemd/system/facefleet-boot-test-relay.service",
        "",
      ].join("\n"),
    );
    sh("debugfs", ["-w", "-f", join(work, "debugfs.cmd"), rootFile]);
    sh("dd", [`if=${rootFile}`, `of=${disk}`, "bs=512", `seek=${rootPart.start}`, "conv=notrunc", "status=none"]);
    rmSync(rootFile);

    // ---- boot ----
    log("booting under qemu-system-aarch64 -M virt -cpu cortex-a57 -m 2048 (emulated: minutes)");
    writeFileSync(consoleLog, "");
    qemu = spawn(
      "qemu-system-aarch64",
      [
        ...["-M", "virt", "-cpu", "cortex-a57", "-m", "2048", "-smp", "2", "-nographic", "-no-reboot"],
        ...["-kernel", kernel, "-initrd", initrd],
        ...["-append", "root=LABEL=RASPIROOT rw console=ttyAMA0 net.ifnames=0 systemd.show_status=1"],
        ...["-drive", `if=none,id=disk,format=raw,file=${disk}`, "-device", "virtio-blk-pci,drive=disk"],
        ...["-netdev", `user,id=net0,hostfwd=tcp:127.0.0.1:${sshPort}-:22`, "-device", "virtio-net-pci,netdev=net0"],
        ...["-serial", `file:${consoleLog}`, "-monitor", "none"],
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    let qemuErr = "";
    qemu.stderr?.on("data", (d) => {
      qemuErr += d;
    });
    const seen = new Set<string>();
    const milestones: [RegExp, string][] = [
      [/Linux version/, "kernel started"],
      [/systemd\[1\]: .*(Detected|running in system mode)/, "systemd started"],
      [/first-boot-config: agent /, "first boot applied facefleet.yaml"],
      [/facefleet-first-boot: .*(error|must|missing)/i, "first boot reported a problem"],
      [/Started facefleet-agent\.service|Started .*facefleet edge agent/, "facefleet-agent.service started"],
      [/login:/, "login prompt"],
    ];
    const deadline = started + timeoutS * 1000;
    for (;;) {
      if (qemu.exitCode !== null) throw new Error(`qemu exited (${qemu.exitCode}): ${qemuErr.trim().split("\n")[0] ?? ""}`);
      if (!coordinator.running) throw new Error(`the coordinator exited\n${coordinator.dump()}`);
      const text = readFileSync(consoleLog, "utf8");
      for (const [re, what] of milestones)
        if (!seen.has(what) && re.test(text)) {
          seen.add(what);
          const line = text.split("\n").find((l) => re.test(l));
          log(`${what}${what.startsWith("first boot") && line ? `: ${line.trim().slice(0, 200)}` : ""}`);
        }
      const agents = await api.agents().catch(() => []);
      const agent = agents.find((a) => a.id.startsWith("qemu-"));
      const owned = agent?.health?.partitions.map((p) => p.partition) ?? [];
      if (agent?.online && agent.health && !seen.has("online")) {
        seen.add("online");
        log(`agent ${agent.id} online at the coordinator with health: ${JSON.stringify(agent.health).slice(0, 300)}`);
      }
      if (agent?.online && owned.length > 0 && !flow) {
        log(`agent ${agent.id} owns partitions [${owned.join(", ")}]: sending one frame a second to every partition`);
        ledger = await DetectionLedger.start(broker.kafka);
        flow = await FrameFlow.start(broker.kafka, FRAMES_PARTITIONS, 1000);
      }
      const processed = ledger?.all().filter((d) => agent && d.agent === agent.id && d.faces.length > 0) ?? [];
      if (agent && processed.length > 0) {
        const first = processed[0] as (typeof processed)[number];
        log(
          `PASS after ${Math.round((Date.now() - started) / 1000)} s: agent ${agent.id} online, reporting health, owning partitions [${owned.join(", ")}], ` +
            `processed frames, the face found (first: camera ${first.camera} seq ${first.seq}, ${first.faces.length} face(s), identity ${first.faces[0]?.identity}, ` +
            `${first.doneTime - first.captureTime} ms from capture to result under emulation)`,
        );
        return 0;
      }
      if (Date.now() > deadline) {
        const where = !agent?.online ? "no agent online" : owned.length === 0 ? "the agent owns no partition" : "no frame processed";
        log(`FAIL: ${where} within ${timeoutS} s (agents: ${JSON.stringify(agents).slice(0, 300)}); console: ${consoleLog}`);
        process.stdout.write(`${text.split("\n").slice(-40).join("\n")}\n${coordinator.dump(20)}\n`);
        try {
          const journal = execFileSync(
            "ssh",
            [
              ...["-i", join(work, "id"), "-p", String(sshPort), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null"],
              ...["-o", "ConnectTimeout=20", "root@127.0.0.1"],
              "journalctl -b --no-pager -u facefleet-first-boot -u facefleet-agent | tail -80; cat /etc/facefleet/agent.json; ip -br addr",
            ],
            { encoding: "utf8", timeout: 60_000 },
          );
          process.stdout.write(`--- guest journal (ssh)\n${journal}\n`);
        } catch (error) {
          process.stdout.write(`--- could not ssh into the guest: ${(error as Error).message.split("\n")[0]}\n`);
        }
        return 1;
      }
      const stop = await Promise.race([sleep(5000).then(() => false), interruptedP.then(() => true)]);
      if (stop) {
        log("interrupted");
        return 130;
      }
    }
  } catch (error) {
    log(`FAIL: ${(error as Error).message}`);
    return 1;
  } finally {
    await flow?.stop().catch(() => undefined);
    await ledger?.stop().catch(() => undefined);
    qemu?.kill("SIGKILL");
    await coordinator?.stop().catch(() => undefined);
    await broker?.stop().catch(() => undefined);
    if (keep) log(`scratch folder kept: ${work}`);
    else rmSync(work, { recursive: true, force: true });
  }
}

if (isScriptEntry(import.meta.url)) {
  bootTest(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error) => {
      process.stderr.write(`boot-test: ${(error as Error).message}\n`);
      process.exit(1);
    },
  );
}
