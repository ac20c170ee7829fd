/**
 * What the Ansible tests share: the venv's ansible tools (deploy/ansible/setup.sh), a child process runner that
 * does not block the event loop (frames keep flowing while a playbook runs), test hosts reached over real SSH
 * (one unprivileged-style sshd per host on 127.0.0.1, host and client keys in a temp dir), the test inventory
 * with an Ansible Vault for the secrets, the PLAY RECAP parser, and "version B" of a package.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { repoRoot } from "./repo-root.js";

export const ansibleDir = join(repoRoot, "deploy", "ansible");
export const venvBin = join(repoRoot, ".facefleet", "ansible-venv", "bin");

/** Path of an Ansible tool of the project's venv; throws with the fix when the venv is missing. */
export function ansibleTool(name: string): string {
  const file = join(venvBin, name);
  if (!existsSync(file)) throw new Error(`${file} is missing: run bash deploy/ansible/setup.sh`);
  return file;
}

/** Environment for ansible-*: this project's ansible.cfg, no colours, no cowsay, no retry files. */
export function ansibleEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: `${venvBin}:${process.env.PATH ?? ""}`,
    ANSIBLE_CONFIG: join(ansibleDir, "ansible.cfg"),
    ANSIBLE_NOCOLOR: "1",
    ANSIBLE_FORCE_COLOR: "0",
    ANSIBLE_NOCOWS: "1",
    PY_COLORS: "0",
    NO_COLOR: "1",
    ...extra,
  };
}

export type RunResult = { code: number | null; stdout: string; stderr: string; output: string };

/** Runs a command asynchronously, collects its output; kills it after timeoutMs. */
export function run(
  cmd: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: options.cwd ?? repoRoot, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on("data", (c: Buffer) => {
      stderr += c.toString();
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 300_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, output: stdout + stderr });
    });
  });
}

/** ansible-playbook PLAYBOOK (in deploy/ansible) with the given arguments. */
export function playbook(name: string, args: string[], timeoutMs = 300_000): Promise<RunResult> {
  return run(ansibleTool("ansible-playbook"), [name, ...args], { cwd: ansibleDir, env: ansibleEnv(), timeoutMs });
}

export type Recap = { ok: number; changed: number; unreachable: number; failed: number; skipped: number; rescued: number };

/** The PLAY RECAP lines of an ansible-playbook run, per host. */
export function parseRecap(output: string): Map<string, Recap> {
  const hosts = new Map<string, Recap>();
  const at = output.lastIndexOf("PLAY RECAP");
  if (at < 0) return hosts;
  for (const line of output.slice(at).split("\n").slice(1)) {
    const m = /^(\S+)\s*:\s*(.*)$/.exec(line.trim());
    if (!m?.[1] || !m[2]) continue;
    const counts: Record<string, number> = {};
    for (const kv of m[2].matchAll(/(\w+)=(\d+)/g)) counts[kv[1] as string] = Number(kv[2]);
    if (!("ok" in counts)) continue;
    hosts.set(m[1], {
      ok: counts.ok ?? 0,
      changed: counts.changed ?? 0,
      unreachable: counts.unreachable ?? 0,
      failed: counts.failed ?? 0,
      skipped: counts.skipped ?? 0,
      rescued: counts.rescued ?? 0,
    });
  }
  return hosts;
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export type SshHost = { name: string; port: number; prefix: string };

/**
 * One sshd per host on 127.0.0.1 (`/usr/sbin/sshd -f <conf>` as the current user: key login only, host key,
 * authorized key and pid file in `dir`), so Ansible reaches each test host over a real SSH connection.
 * Each host's "filesystem" is an install prefix under `dir`.
 */
export class SshHosts {
  readonly hosts: SshHost[];
  readonly keyFile: string;
  readonly knownHosts: string;

  private constructor(
    readonly dir: string,
    hosts: SshHost[],
  ) {
    this.hosts = hosts;
    this.keyFile = join(dir, "id_ed25519");
    this.knownHosts = join(dir, "known_hosts");
  }

  static async start(dir: string, hosts: { name: string; port: number }[]): Promise<SshHosts> {
    const sshd = "/usr/sbin/sshd";
    if (!existsSync(sshd)) throw new Error(`${sshd} is missing: run bash deploy/ansible/setup.sh (apt-get install openssh-server)`);
    mkdirSync(dir, { recursive: true });
    const self = new SshHosts(
      dir,
      hosts.map((h) => ({ ...h, prefix: join(dir, h.name) })),
    );
    const hostKey = join(dir, "ssh_host_ed25519_key");
    for (const [file, comment] of [
      [hostKey, "facefleet-test-host"],
      [self.keyFile, "facefleet-test-controller"],
    ] as const) {
      const r = await run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
      if (r.code !== 0) throw new Error(`ssh-keygen: ${r.output}`);
    }
    writeFileSync(join(dir, "authorized_keys"), readFileSync(`${self.keyFile}.pub`), { mode: 0o600 });
    const hostPub = readFileSync(`${hostKey}.pub`, "utf8").split(" ").slice(0, 2).join(" ");
    writeFileSync(self.knownHosts, self.hosts.map((h) => `[127.0.0.1]:${h.port} ${hostPub}\n`).join(""));
    // As root, sshd needs its privilege separation directory (the ssh service creates it at boot).
    if (process.getuid?.() === 0) mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    for (const h of self.hosts) {
      mkdirSync(h.prefix, { recursive: true });
      const conf = join(dir, `sshd-${h.name}.conf`);
      writeFileSync(
        conf,
        [
          `Port ${h.port}`,
          "ListenAddress 127.0.0.1",
          `HostKey ${hostKey}`,
          `PidFile ${join(dir, `sshd-${h.name}.pid`)}`,
          `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
          "StrictModes no",
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "UsePAM no",
          "PermitRootLogin prohibit-password",
          "",
        ].join("\n"),
      );
      const r = await run(sshd, ["-f", conf, "-E", join(dir, `sshd-${h.name}.log`)]);
      if (r.code !== 0) throw new Error(`sshd for ${h.name}: ${r.output}`);
    }
    for (const h of self.hosts) {
      const deadline = Date.now() + 10_000;
      while (!(await portOpen(h.port))) {
        if (Date.now() > deadline) throw new Error(`sshd of ${h.name} does not listen on ${h.port}`);
        await sleep(100);
      }
    }
    return self;
  }

  /** Inventory variables that make Ansible log in to these sshds. */
  connectionVars(): Record<string, unknown> {
    return {
      ansible_host: "127.0.0.1",
      ansible_user: process.env.USER || (process.getuid?.() === 0 ? "root" : undefined),
      ansible_ssh_private_key_file: this.keyFile,
      ansible_ssh_common_args: `-o UserKnownHostsFile=${this.knownHosts} -o StrictHostKeyChecking=yes -o IdentitiesOnly=yes`,
    };
  }

  stop(): void {
    for (const h of this.hosts) {
      const pidFile = join(this.dir, `sshd-${h.name}.pid`);
      if (!existsSync(pidFile)) continue;
      try {
        process.kill(Number(readFileSync(pidFile, "utf8").trim()), "SIGTERM");
      } catch {
        // already gone
      }
    }
  }
}

/**
 * "Version B" of a package: the same tarball with another version label (folder name, BUILD-INFO.json and the
 * app's package.json, which the agent reports as agentVersion); `change` may alter the unpacked folder further.
 * Returns the new tarball's path.
 */
export async function relabelPackage(tarball: string, version: string, outDir: string, change?: (root: string) => void): Promise<string> {
  const work = join(outDir, `relabel-${version}`);
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  let r = await run("tar", ["xzf", tarball, "-C", work]);
  if (r.code !== 0) throw new Error(`tar xzf ${tarball}: ${r.output}`);
  const from = /^(.*\/)?(facefleet-agent-.+-linux-(x64|arm64))\.tar\.gz$/.exec(tarball);
  if (!from?.[2]) throw new Error(`not a package name: ${tarball}`);
  const name = `facefleet-agent-${version}-linux-${from[3]}`;
  renameSync(join(work, from[2]), join(work, name));
  for (const file of [join(work, name, "BUILD-INFO.json"), join(work, name, "app", "package.json")]) {
    const json = JSON.parse(readFileSync(file, "utf8")) as { version: string };
    json.version = version;
    writeFileSync(file, `${JSON.stringify(json, null, 2)}\n`);
  }
  change?.(join(work, name));
  const out = join(outDir, `${name}.tar.gz`);
  r = await run("tar", ["czf", out, "-C", work, "--owner=0", "--group=0", name]);
  if (r.code !== 0) throw new Error(`tar czf ${out}: ${r.output}`);
  rmSync(work, { recursive: true, force: true });
  return out;
}
