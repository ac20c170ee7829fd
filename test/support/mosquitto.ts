/**
 * Debian's Mosquitto (`apt-get install mosquitto`) for tests: a private port, a password file,
 * anonymous clients refused; stopped (and its files removed) by `stop()`.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

export type TestMosquitto = { url: string; log(): string; stop(): Promise<void> };

function findBinary(name: string): string {
  for (const dir of ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`${name} not found: install Debian's mosquitto (apt-get install -y mosquitto, or npm run setup)`);
}

export function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

export async function startMosquitto(port: number, auth: { username: string; password: string }): Promise<TestMosquitto> {
  const mosquitto = findBinary("mosquitto");
  const passwd = findBinary("mosquitto_passwd");
  const dir = mkdtempSync(join(tmpdir(), "facefleet-mosquitto-"));
  const passwordFile = join(dir, "passwd");
  execFileSync(passwd, ["-b", "-c", passwordFile, auth.username, auth.password], { stdio: "pipe" });
  const conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous false",
      `password_file ${passwordFile}`,
      "persistence false",
      "log_dest stderr",
      "log_type error",
      "log_type warning",
      // Started as root, mosquitto would switch to the `mosquitto` user, who cannot read our temp dir.
      `user ${userInfo().username}`,
      "",
    ].join("\n"),
  );
  if (await portOpen(port)) throw new Error(`port ${port} is already in use: cannot start Mosquitto for the test`);
  let output = "";
  const broker: ChildProcess = spawn(mosquitto, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
  broker.stdout?.on("data", (d) => (output += d));
  broker.stderr?.on("data", (d) => (output += d));
  const exited = new Promise<never>((_, reject) =>
    broker.once("exit", (code, signal) => reject(new Error(`mosquitto exited (${signal ?? code}) at start: ${output.trim()}`))),
  );
  exited.catch(() => {});
  const deadline = Date.now() + 10_000;
  while (!(await Promise.race([portOpen(port), exited]))) {
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${port} within 10 s: ${output.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    log: () => output,
    async stop() {
      if (broker.exitCode === null && broker.signalCode === null) {
        const gone = new Promise((resolve) => broker.once("exit", resolve));
        broker.kill("SIGTERM");
        const timer = setTimeout(() => broker.kill("SIGKILL"), 5000);
        await gone;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
