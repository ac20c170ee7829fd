/**
 * The Mosquitto config the Ansible role writes (roles/mosquitto/templates: facefleet.conf.j2 and facefleet.acl.j2,
 * rendered by Ansible's own template module with the role's defaults) run by a real Mosquitto: an agent on its own
 * account publishes only under its own id and reads only its commands, the plan and live-view; the coordinator's
 * account reads and writes everything. (Mosquitto grants every SUBSCRIBE and applies the read ACL to each message it
 * would deliver, so what the agent receives is checked, not the SUBACK.)
 */
import assert from "node:assert/strict";
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { mqttTopics } from "../../protocol/mqtt-topics.js";
import { connectOnce, Recorder, within } from "../mqtt/mqtt-helpers.js";
import { portOpen } from "../support/mosquitto.js";
import { ansibleDir, ansibleEnv, ansibleTool, venvBin } from "./ansible-hosts.js";

const PORT = 24020;
const dir = mkdtempSync(join(tmpdir(), "facefleet-mosquitto-acl-"));
let broker: ChildProcess | undefined;
after(() => {
  broker?.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** One of the role's templates rendered by `ansible -m template` (the role's defaults, these overrides). */
function render(template: string, dest: string, vars: Record<string, unknown>): string {
  const varsFile = join(dir, "vars.json");
  writeFileSync(varsFile, JSON.stringify(vars));
  execFileSync(
    ansibleTool("ansible"),
    [
      "localhost",
      "-i",
      "localhost,",
      "-c",
      "local",
      "-m",
      "ansible.builtin.template",
      "-a",
      `src=${join(ansibleDir, "roles", "mosquitto", "templates", template)} dest=${dest}`,
      "-e",
      `@${join(ansibleDir, "roles", "mosquitto", "defaults", "main.yml")}`,
      "-e",
      `@${varsFile}`,
      "-e",
      `ansible_python_interpreter=${join(venvBin, "python")}`,
    ],
    { cwd: ansibleDir, env: ansibleEnv(), stdio: "pipe" },
  );
  return readFileSync(dest, "utf8");
}

/** Granted QoS per filter (128: refused); mqtt.js rejects a SUBACK with a refusal but keeps the packet. */
async function granted(client: Recorder, filters: string[]): Promise<number[]> {
  try {
    return (await client.client.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos);
  } catch (error) {
    const packet = (error as { packet?: { granted?: number[] } }).packet;
    if (!packet?.granted) throw error;
    return packet.granted;
  }
}

test("the role's Mosquitto config: an agent only its own topics, the coordinator everything", { timeout: 120_000 }, async () => {
  const passwd = join(dir, "facefleet.passwd");
  const aclFile = join(dir, "facefleet.acl");
  const vars = { mosquitto_port: PORT, mosquitto_listen_host: "127.0.0.1", mosquitto_password_file: passwd, mosquitto_acl_file: aclFile };
  const conf = render("facefleet.conf.j2", join(dir, "facefleet.conf"), vars);
  const acl = render("facefleet.acl.j2", aclFile, vars);
  assert.match(conf, new RegExp(`acl_file ${aclFile}`));
  assert.match(acl, /^pattern write facefleet\/agents\/%u\/health$/m);
  assert.match(acl, /^user facefleet\ntopic readwrite #$/m);

  // The password file as the role's tasks write it: the coordinator, then each agent's own account.
  const accounts = { facefleet: "coordinator-secret", "pi-1": "pi-1-secret-0123", "pi-2": "pi-2-secret-0123" };
  let first = true;
  for (const [user, password] of Object.entries(accounts)) {
    execFileSync("mosquitto_passwd", [...(first ? ["-c"] : []), "-b", passwd, user, password], { stdio: "pipe" });
    first = false;
  }
  const main = join(dir, "mosquitto.conf");
  writeFileSync(main, `${conf}\npersistence false\nlog_dest stderr\nlog_type error\nlog_type warning\nuser ${userInfo().username}\n`);
  let output = "";
  broker = spawn("/usr/sbin/mosquitto", ["-c", main], { stdio: ["ignore", "pipe", "pipe"] });
  broker.stderr?.on("data", (d) => (output += d));
  const deadline = Date.now() + 10_000;
  while (!(await portOpen(PORT))) {
    assert.ok(broker.exitCode === null, `mosquitto exited: ${output}`);
    assert.ok(Date.now() < deadline, `mosquitto did not listen: ${output}`);
    await sleep(50);
  }
  const url = `mqtt://127.0.0.1:${PORT}`;
  const coordinator = await Recorder.start(url, { username: "facefleet", password: accounts.facefleet }, ["facefleet/#"]);
  const agent = new Recorder(await connectOnce(url, { username: "pi-1", password: accounts["pi-1"], clientId: "facefleet-agent-pi-1" }));
  try {
    await assert.rejects(
      connectOnce(url, { username: "pi-1", password: accounts["pi-2"] }),
      (e: Error & { code?: number }) => e.code === 5 || e.code === 4,
    );
    assert.deepEqual(await granted(agent, [mqttTopics.command("pi-1"), mqttTopics.plan, mqttTopics.liveView]), [1, 1, 1]);
    // Mosquitto grants any SUBSCRIBE and checks the read ACL on every message it would deliver: subscribed to all of
    // these, the agent must still get nothing but its own command.
    await granted(agent, ["facefleet/events/+", "facefleet/#", "#", mqttTopics.command("pi-2"), mqttTopics.health("pi-2")]);

    await agent.client.publishAsync(mqttTopics.health("pi-1"), '{"own":true}', { qos: 1 });
    await coordinator.waitFor((m) => m.topic === mqttTopics.health("pi-1"), 5000, "pi-1's health at the coordinator");
    // Mosquitto acknowledges a denied publish and drops it.
    await agent.client.publishAsync(mqttTopics.health("pi-2"), '{"forged":true}', { qos: 1 }).catch(() => undefined);
    await agent.client.publishAsync(mqttTopics.command("pi-2"), '{"forged":true}', { qos: 1 }).catch(() => undefined);
    await coordinator.client.publishAsync(mqttTopics.command("pi-1"), '{"id":"c1"}', { qos: 1 });
    await coordinator.client.publishAsync(mqttTopics.events("door"), '{"identity":"Alice"}', { qos: 1 });
    await coordinator.client.publishAsync(mqttTopics.command("pi-2"), '{"id":"c2"}', { qos: 1 });
    await within(
      "pi-1's command",
      agent.waitFor((m) => m.topic === mqttTopics.command("pi-1"), 5000),
    );
    await sleep(500);
    assert.equal(coordinator.messages.filter((m) => m.payload.includes("forged")).length, 0, "a forged publish was delivered");
    assert.deepEqual([...new Set(agent.messages.map((m) => m.topic))], [mqttTopics.command("pi-1")], "pi-1 read only its command");
  } finally {
    await Promise.all([coordinator.close(), agent.close()]);
  }
});
