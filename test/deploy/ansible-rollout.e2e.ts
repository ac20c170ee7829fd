/**
 * The real Ansible run (`npm run test:ansible`, 7–8 minutes, so not part of `npm test`): Kafka from the
 * jars, `facefleet coordinator`, two SSH test hosts with their own sshd (test/deploy/ansible-hosts.ts);
 * site.yml installs and starts two agents, a second run changes nothing, rolling-update.yml moves them to
 * version B in batches while frames flow (nothing lost), and a failing package stops the rollout.
 * The fast checks (lint, syntax, specs) are in ansible.test.ts.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  CoordinatorApi,
  DetectionLedger,
  FAST_FAILOVER_AGENT,
  type FleetPorts,
  FleetProcess,
  FrameFlow,
  TEST_MQTT_PASSWORD,
  TEST_TOKEN,
  writeCoordinatorConfig,
} from "../../testing/fleet.js";
import { createPlanTopic, createTopics, startBroker } from "../../testing/kafka-harness.js";
import { testModelDirs, useTestModels } from "../../testing/paths.js";
import { ansibleEnv, ansibleTool, parseRecap, playbook, relabelPackage, run, type SshHost, SshHosts } from "./ansible-hosts.js";

const PARTITIONS = 4;
const KAFKA_PORT = 20792;
const ports = { mqttPort: 18901, httpPort: 18911 };
const SSH_PORTS = [18921, 18922];
const VERSION_B = "0.1.0-rolling.1";

async function waitUntil(what: string, predicate: () => Promise<boolean> | boolean, timeoutMs: number, dump: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await predicate()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}\n${dump()}`);
    await sleep(500);
  }
}

test("real run: site.yml installs two agents over SSH, is idempotent, rolling-update.yml moves them to version B while frames flow", {
  timeout: 900_000,
}, async (t) => {
  useTestModels();
  const dir = mkdtempSync(join(tmpdir(), "facefleet-ansible-"));
  const log: string[] = [];
  const say = (line: string) => {
    log.push(`${new Date().toISOString().slice(11, 19)} ${line}`);
    if (process.env.FACEFLEET_TEST_VERBOSE) process.stderr.write(`${line}\n`);
  };
  const outputs: string[] = [];
  const processes: FleetProcess[] = [];
  let hosts: SshHosts | undefined;
  let flow: FrameFlow | undefined;
  let ledger: DetectionLedger | undefined;
  let passed = false;
  const started = Date.now();
  const broker = await startBroker(KAFKA_PORT);
  t.after(async () => {
    const teardown = Date.now();
    const step = (what: string) => say(`teardown: ${what} (${Date.now() - teardown} ms)`);
    await flow?.stop().catch(() => undefined);
    await Promise.all(
      (hosts?.hosts ?? []).map((h) => {
        const script = join(h.prefix, "opt", "facefleet", "bin", "facefleet-agent-service");
        return existsSync(script) ? run(script, ["stop"]).catch(() => undefined) : undefined;
      }),
    );
    for (const h of hosts?.hosts ?? []) {
      if (!passed) {
        const agentLog = join(h.prefix, "var", "log", "facefleet-agent.log");
        if (existsSync(agentLog))
          process.stderr.write(`--- ${h.name} agent log\n${readFileSync(agentLog, "utf8").split("\n").slice(-40).join("\n")}\n`);
      }
    }
    step("agents stopped");
    hosts?.stop();
    if (!passed) process.stderr.write(`${log.join("\n")}\n${processes.map((p) => p.dump(60)).join("\n")}\n`);
    await Promise.all(processes.map((p) => p.stop(5000)));
    step("coordinator stopped");
    await ledger?.stop();
    await broker.stop();
    step("broker stopped");
    rmSync(dir, { recursive: true, force: true });
    step("temp dir removed");
    if (process.env.FACEFLEET_TEST_VERBOSE) process.stderr.write(`${log.slice(-4).join("\n")}\n`);
  });

  // Kafka topics (incl. the compacted plan), the coordinator.
  await createTopics(broker.kafka, PARTITIONS);
  await createPlanTopic(broker.kafka);
  const fleetPorts: FleetPorts = { bootstrap: broker.bootstrap, ...ports };
  const coordinator = new FleetProcess("coordinator", ["coordinator", "--config", writeCoordinatorConfig(dir, fleetPorts)]);
  processes.push(coordinator);
  const api = new CoordinatorApi(`http://127.0.0.1:${ports.httpPort}`);
  const dump = () => `${log.join("\n")}\n${outputs.slice(-1).join("")}\n${coordinator.dump(30)}`;
  await waitUntil("the coordinator's API", () => api.reachable(), 60_000, dump);
  say(`broker + coordinator up (${Date.now() - started} ms)`);

  // Packages A (built from dist/) and B (A relabelled).
  const packages = join(dir, "packages");
  mkdirSync(packages);
  const build = await run("bash", ["deploy/package/build-agent-package.sh", "--arch", "x64", "--no-build", "--out", packages], {
    timeoutMs: 240_000,
  });
  assert.equal(build.code, 0, build.output);
  const tarA = join(packages, readdirSync(packages).find((f) => f.endsWith("-linux-x64.tar.gz")) ?? "missing");
  const versionA = /facefleet-agent-(.+)-linux-x64\.tar\.gz$/.exec(tarA)?.[1];
  assert.ok(versionA && versionA !== VERSION_B);
  const tarB = await relabelPackage(tarA, VERSION_B, packages);
  say(`packages ${versionA} and ${VERSION_B} (${Date.now() - started} ms)`);

  // Two hosts over SSH; the inventory, secrets in an Ansible Vault.
  hosts = await SshHosts.start(join(dir, "hosts"), [
    { name: "ff-host-a", port: SSH_PORTS[0] as number },
    { name: "ff-host-b", port: SSH_PORTS[1] as number },
  ]);
  const inv = join(dir, "inventory");
  mkdirSync(join(inv, "group_vars", "all"), { recursive: true });
  const hostEntries = Object.fromEntries(hosts.hosts.map((h) => [h.name, { ansible_port: h.port, facefleet_prefix: h.prefix }]));
  writeFileSync(
    join(inv, "hosts.yml"),
    JSON.stringify(
      { all: { children: { coordinator: {}, kafka: {}, mqtt: {}, agents: { children: { agents_rpi: { hosts: hostEntries } } } } } },
      null,
      2,
    ),
  );
  writeFileSync(
    join(inv, "group_vars", "all", "main.yml"),
    JSON.stringify(
      {
        ...hosts.connectionVars(),
        ansible_python_interpreter: "/usr/bin/python3",
        facefleet_service_manager: "supervise",
        facefleet_agent_package_path: tarA,
        facefleet_kafka_brokers: [broker.bootstrap],
        facefleet_mqtt_url: `mqtt://127.0.0.1:${ports.mqttPort}`,
        facefleet_mqtt_password: "{{ vault_facefleet_mqtt_password }}",
        facefleet_coordinator_url: `http://127.0.0.1:${ports.httpPort}`,
        facefleet_coordinator_token: "{{ vault_facefleet_coordinator_token }}",
        facefleet_agent_models_path: testModelDirs.join(":"),
        facefleet_agent_health_interval_ms: 1000,
        facefleet_agent_config_extra: FAST_FAILOVER_AGENT,
        facefleet_rolling_wait_s: 120,
      },
      null,
      2,
    ),
  );
  const vaultFile = join(inv, "group_vars", "all", "vault.yml");
  writeFileSync(vaultFile, `vault_facefleet_mqtt_password: ${TEST_MQTT_PASSWORD}\nvault_facefleet_coordinator_token: ${TEST_TOKEN}\n`);
  const vaultPass = join(dir, "vault-pass");
  writeFileSync(vaultPass, "facefleet-test-vault-password\n", { mode: 0o600 });
  const enc = await run(ansibleTool("ansible-vault"), ["encrypt", "--vault-password-file", vaultPass, vaultFile], { env: ansibleEnv() });
  assert.equal(enc.code, 0, enc.output);
  assert.match(readFileSync(vaultFile, "utf8"), /^\$ANSIBLE_VAULT;1\.1;AES256/);

  const common = ["-i", join(inv, "hosts.yml"), "--vault-password-file", vaultPass, "-v"];
  const play = async (name: string, extra: string[] = []) => {
    const r = await playbook(name, [...common, ...extra], 400_000);
    outputs.push(`--- ansible-playbook ${name}\n${r.output}`);
    say(`${name} ${extra.join(" ")}: exit ${r.code} (${Date.now() - started} ms)`);
    const keep = process.env.FACEFLEET_ANSIBLE_OUTPUT_DIR;
    if (keep) {
      mkdirSync(keep, { recursive: true });
      writeFileSync(join(keep, `${outputs.length}-${name.replace(/\.yml$/, "")}.log`), r.output);
    }
    return { code: r.code, recap: parseRecap(r.output), output: r.output };
  };
  const playOk = async (name: string, extra: string[] = []) => {
    const r = await play(name, extra);
    assert.equal(r.code, 0, `${name}: ${r.output.slice(-6000)}\n${dump()}`);
    return r.recap;
  };

  // 1. site.yml: both agents installed, started, online on the coordinator with partitions.
  const first = await playOk("site.yml");
  for (const h of hosts.hosts) {
    assert.equal(first.get(h.name)?.failed, 0);
    assert.ok((first.get(h.name)?.changed ?? 0) > 0);
  }
  await waitUntil(
    "both agents online with partitions",
    async () => {
      const agents = await api.agents();
      return (hosts as SshHosts).hosts.every((h) => {
        const a = agents.find((x) => x.id === h.name);
        return a?.online === true && (a.health?.partitions.length ?? 0) > 0 && a.health?.agentVersion === versionA;
      });
    },
    120_000,
    dump,
  );
  say(`both agents online with partitions (${Date.now() - started} ms)`);

  // 2. Idempotence.
  const second = await playOk("site.yml");
  for (const h of hosts.hosts)
    assert.deepEqual([second.get(h.name)?.changed, second.get(h.name)?.failed], [0, 0], `${h.name}: second run changed something`);

  // 3. Rolling update to B with serial 1 while frames flow.
  ledger = await DetectionLedger.start(broker.kafka);
  flow = await FrameFlow.start(broker.kafka, PARTITIONS, 500);
  const liveLedger = ledger;
  await waitUntil(
    "frames detected on every partition",
    () => new Set(liveLedger.all().map((d) => d.partition)).size === PARTITIONS,
    60_000,
    dump,
  );
  const rolled = await playOk("rolling-update.yml", ["-e", `facefleet_agent_package_path=${tarB}`, "-e", "facefleet_rolling_serial=1"]);
  for (const h of hosts.hosts) assert.equal(rolled.get(h.name)?.failed, 0);
  const rollingOutput = outputs.at(-1) ?? "";
  // serial 1: two batches, each drained before its update.
  assert.equal((rollingOutput.match(/^PLAY \[Rolling update/gm) ?? []).length, 2, "one batch per agent");
  assert.equal((rollingOutput.match(/TASK \[Drain the agent through the coordinator\]/g) ?? []).length, 2);
  await sleep(2000);
  await flow.stop();
  const produced = flow.produced;
  flow = undefined;
  await waitUntil(
    "a detection for every produced frame",
    () => liveLedger.missing(produced).length === 0,
    90_000,
    () => {
      const missing = liveLedger.missing(produced);
      return `${missing.length} of ${produced.length} frames missing, first ${JSON.stringify(missing.slice(0, 5))}\n${dump()}`;
    },
  );
  say(`${produced.length} frames, all detected, ${liveLedger.duplicates()} duplicates (${Date.now() - started} ms)`);

  // 4. Both agents run B: on the coordinator, and on disk.
  await waitUntil(
    "both agents online on version B",
    async () => {
      const agents = await api.agents();
      return (hosts as SshHosts).hosts.every((h) => {
        const a = agents.find((x) => x.id === h.name);
        return a?.online === true && a.health?.agentVersion === VERSION_B && a.drained === false;
      });
    },
    60_000,
    dump,
  );
  for (const h of hosts.hosts) {
    assert.equal(readlinkSync(join(h.prefix, "opt", "facefleet", "current")), `releases/facefleet-agent-${VERSION_B}-linux-x64`);
    assert.ok(existsSync(join(h.prefix, "opt", "facefleet", "releases", `facefleet-agent-${versionA}-linux-x64`)), "A kept for a rollback");
    const config = readFileSync(join(h.prefix, "etc", "facefleet", "agent.json"), "utf8");
    assert.equal(JSON.parse(config).agentId, h.name);
  }

  // 5. A batch that fails stops the rollout: version C's agent cannot start (its CLI exits 1). The first
  //    host is drained, updated, never comes back healthy → the play fails there; the second is not touched.
  const tarC = await relabelPackage(tarA, "0.1.0-broken.1", packages, (root) =>
    writeFileSync(join(root, "app", "bin", "facefleet.js"), '#!/usr/bin/env node\nconsole.error("broken on purpose");\nprocess.exit(1);\n'),
  );
  const [firstHost, secondHost] = hosts.hosts as [SshHost, SshHost];
  const broken = await play("rolling-update.yml", ["-e", `facefleet_agent_package_path=${tarC}`, "-e", "facefleet_rolling_wait_s=20"]);
  assert.notEqual(broken.code, 0, "the rollout of a broken package must fail");
  assert.equal(broken.recap.get(firstHost.name)?.failed, 1, broken.output.slice(-4000));
  assert.equal(broken.recap.get(secondHost.name)?.changed ?? 0, 0, "the second batch must not run");
  assert.match(broken.output, /did not come back healthy on 0\.1\.0-broken\.1 \(it stays drained\)/);
  const after = await api.agents();
  const [a, b] = [after.find((x) => x.id === firstHost.name), after.find((x) => x.id === secondHost.name)];
  assert.equal(a?.drained, true, "the failed host stays drained");
  assert.deepEqual([b?.online, b?.drained, b?.health?.agentVersion], [true, false, VERSION_B], "the second host keeps running B");
  assert.equal(readlinkSync(join(secondHost.prefix, "opt", "facefleet", "current")), `releases/facefleet-agent-${VERSION_B}-linux-x64`);

  // 6. The secrets never appear in what Ansible printed (-v), though they are in agent.json.
  const all = outputs.join("\n");
  assert.ok(!all.includes(TEST_TOKEN), "the coordinator token was printed");
  assert.ok(!all.includes(TEST_MQTT_PASSWORD), "the MQTT password was printed");
  say(`done in ${Date.now() - started} ms`);
  if (process.env.FACEFLEET_TEST_VERBOSE) process.stderr.write(`${log.join("\n")}\n`);
  passed = true;
});
