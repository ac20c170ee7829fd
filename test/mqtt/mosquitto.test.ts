/**
 * The same agent-side scenario against Mosquitto from Debian (`apt-get install mosquitto`), started
 * here on a private port with a password file, and stopped at the end.
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { userInfo } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { connectOnce, tempDir } from "./mqtt-helpers.js";
import { reporterScenario } from "./reporter-scenario.js";

const PORT = 18835;
const state = tempDir("facefleet-mosquitto-");
let broker: ChildProcess | undefined;
let brokerLog = "";

function findBinary(name: string): string {
  for (const dir of ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"]) if (existsSync(join(dir, name))) return join(dir, name);
  throw new Error(`${name} not found: install Debian's mosquitto (apt-get install -y mosquitto, or npm run setup)`);
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function startMosquitto(auth: { username: string; password: string }): Promise<string> {
  const mosquitto = findBinary("mosquitto");
  const passwd = findBinary("mosquitto_passwd");
  const passwordFile = join(state.dir, "passwd");
  execFileSync(passwd, ["-b", "-c", passwordFile, auth.username, auth.password], { stdio: "pipe" });
  const conf = join(state.dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${PORT} 127.0.0.1`,
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
  if (await portOpen(PORT)) throw new Error(`port ${PORT} is already in use: cannot start Mosquitto for the test`);
  broker = spawn(mosquitto, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
  broker.stdout?.on("data", (d) => (brokerLog += d));
  broker.stderr?.on("data", (d) => (brokerLog += d));
  const exited = new Promise<never>((_, reject) =>
    broker?.once("exit", (code, signal) => reject(new Error(`mosquitto exited (${signal ?? code}) at start: ${brokerLog.trim()}`))),
  );
  exited.catch(() => {});
  const deadline = Date.now() + 10_000;
  while (!(await Promise.race([portOpen(PORT), exited]))) {
    if (Date.now() > deadline) throw new Error(`mosquitto did not listen on ${PORT} within 10 s: ${brokerLog.trim()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return `mqtt://127.0.0.1:${PORT}`;
}

after(async () => {
  if (broker && broker.exitCode === null && broker.signalCode === null) {
    const exited = new Promise((resolve) => broker?.once("exit", resolve));
    broker.kill("SIGTERM");
    const timer = setTimeout(() => broker?.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }
  state.remove();
});

test("Mosquitto: refuses anonymous; online, valid health, command acks, last will, clean offline", async () => {
  const auth = { username: "agent", password: "mosquitto-test-secret" };
  const url = await startMosquitto(auth);
  await assert.rejects(connectOnce(url), (e: Error & { code?: number }) => e.code === 5 || e.code === 4);
  await assert.rejects(
    connectOnce(url, { username: "agent", password: "wrong" }),
    (e: Error & { code?: number }) => e.code === 5 || e.code === 4,
  );
  await reporterScenario(url, auth, "pi-mosquitto");
});
