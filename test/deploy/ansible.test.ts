/**
 * deploy/ansible/: ansible-lint (production profile) is clean, site.yml and rolling-update.yml pass
 * --syntax-check, every role documents its defaults in meta/argument_specs.yml, every task that touches a
 * secret has no_log, and the rolling update drains, updates and undrains in batches that stop on a failure.
 *
 * The real run is test/deploy/ansible-rollout.e2e.ts (`npm run test:ansible`, 7–8 minutes): Kafka from the jars, `facefleet coordinator`,
 * two test hosts reached over real SSH (their own sshd on 127.0.0.1, each host an install prefix, the
 * `supervise` service manager); site.yml installs and starts two agents from the package tarball → both online
 * with partitions; site.yml again → changed=0; rolling-update.yml to a relabelled package (version B) with
 * serial 1 while frames flow → every frame has a detection and both agents run version B; a rollout of a
 * package whose agent cannot start fails at the first batch and leaves the second host alone; neither secret
 * (kept in an Ansible Vault) appears in any ansible output (run with -v).
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { parse } from "yaml";
import { ansibleDir, ansibleEnv, ansibleTool, playbook, run } from "./ansible-hosts.js";

const roles = ["facefleet_agent", "facefleet_coordinator", "kafka", "mosquitto"];
const readYaml = (...parts: string[]) => parse(readFileSync(join(ansibleDir, ...parts), "utf8"));

test("ansible-lint (production profile) is clean on deploy/ansible", { timeout: 180_000 }, async () => {
  const r = await run(ansibleTool("ansible-lint"), ["--nocolor"], { cwd: ansibleDir, env: ansibleEnv(), timeoutMs: 170_000 });
  assert.equal(r.code, 0, r.output);
  assert.match(r.output, /Profile 'production' was required, and it passed/);
});

test("site.yml and rolling-update.yml pass ansible-playbook --syntax-check", { timeout: 120_000 }, async () => {
  for (const name of ["site.yml", "rolling-update.yml"]) {
    const r = await playbook(name, ["--syntax-check", "-i", "inventories/example/hosts.yml"], 60_000);
    assert.equal(r.code, 0, `${name}: ${r.output}`);
  }
  // The example inventory has the groups the docs promise.
  const inv = await run(ansibleTool("ansible-inventory"), ["-i", "inventories/example/hosts.yml", "--list"], {
    cwd: ansibleDir,
    env: ansibleEnv(),
  });
  assert.equal(inv.code, 0, inv.output);
  const groups = JSON.parse(inv.stdout) as Record<string, { hosts?: string[]; children?: string[] }>;
  for (const g of ["coordinator", "kafka", "mqtt", "agents", "agents_rpi", "agents_jetson"])
    assert.ok(g in groups || groups.all?.children?.includes(g), g);
  assert.deepEqual(groups.agents?.children?.sort(), ["agents_jetson", "agents_rpi"]);
});

test("every role: defaults documented in meta/argument_specs.yml, handlers, tasks", () => {
  for (const role of roles) {
    const defaults = readYaml("roles", role, "defaults", "main.yml") as Record<string, unknown>;
    const spec = readYaml("roles", role, "meta", "argument_specs.yml") as {
      argument_specs: { main: { options: Record<string, { required?: boolean; description?: unknown }> } };
    };
    const options = spec.argument_specs.main.options;
    for (const key of Object.keys(defaults)) assert.ok(key in options, `${role}: default ${key} is not in argument_specs`);
    for (const [key, o] of Object.entries(options)) {
      assert.ok(key in defaults || o.required, `${role}: option ${key} has neither a default nor required: true`);
      assert.ok(o.description, `${role}: option ${key} has no description`);
      assert.ok(key.startsWith(`${role}_`), `${role}: option ${key} lacks the role prefix`);
    }
    assert.ok(existsSync(join(ansibleDir, "roles", role, "handlers", "main.yml")), `${role}: handlers`);
    assert.ok(existsSync(join(ansibleDir, "roles", role, "tasks", "main.yml")), `${role}: tasks`);
  }
});

/** Every task (blocks, rescue, always flattened) of a task list, with the no_log it inherits. */
function* tasksOf(
  list: unknown,
  inheritedNoLog = false,
  where = "",
): Generator<{ task: Record<string, unknown>; noLog: boolean; where: string }> {
  if (!Array.isArray(list)) return;
  for (const item of list as Record<string, unknown>[]) {
    const noLog = inheritedNoLog || item.no_log === true;
    if (item.block || item.rescue || item.always) {
      for (const key of ["block", "rescue", "always"]) yield* tasksOf(item[key], noLog, `${where} > ${String(item.name)}`);
    } else yield { task: item, noLog, where: `${where} > ${String(item.name)}` };
  }
}

test("every task that touches a secret has no_log: true", () => {
  const secrets =
    /facefleet_agent_mqtt_password|facefleet_coordinator_token|facefleet_coordinator_mqtt_password|facefleet_coordinator_dashboard_password|mosquitto_password\b|facefleet_mqtt_password|facefleet_mqtt_agent_secret|mosquitto_agent_accounts|facefleet_coordinator_mqtt_agent_accounts|agent\.json\.j2|coordinator\.json\.j2/;
  const lists: [string, unknown][] = [];
  for (const role of roles)
    for (const part of ["tasks", "handlers"]) lists.push([`${role}/${part}`, readYaml("roles", role, part, "main.yml")]);
  for (const name of ["site.yml", "rolling-update.yml"])
    for (const play of readYaml(name) as Record<string, unknown>[])
      for (const part of ["pre_tasks", "tasks", "post_tasks", "handlers"]) lists.push([`${name} ${part}`, play[part]]);
  let touching = 0;
  for (const [file, list] of lists)
    for (const { task, noLog, where } of tasksOf(list)) {
      const { name: _name, fail_msg: _msg, ...rest } = task;
      // A fail/assert message may name a variable, never print it: only module arguments count.
      if (!secrets.test(JSON.stringify(rest))) continue;
      touching++;
      assert.ok(noLog, `${file}${where}: touches a secret without no_log: true`);
    }
  assert.ok(touching >= 8, `found only ${touching} secret-touching tasks`);
});

test("rolling-update.yml: batches (serial) that stop on a failure, drain → update → healthy → undrain", () => {
  const [play] = readYaml("rolling-update.yml") as Record<string, unknown>[];
  assert.ok(play);
  assert.equal(play.hosts, "agents");
  assert.match(String(play.serial), /facefleet_rolling_serial/);
  assert.equal(play.max_fail_percentage, 0);
  const flat = (list: unknown) => [...tasksOf(list)].map(({ task }) => task);
  const pre = flat(play.pre_tasks);
  const post = flat(play.post_tasks);
  const uri = (t: Record<string, unknown>) =>
    t["ansible.builtin.uri"] as { url: string; method?: string; headers?: Record<string, string> } | undefined;
  const drain = pre.findIndex((t) => uri(t)?.url.endsWith("/drain") && uri(t)?.method === "POST");
  const emptied = pre.findIndex((t) => String(t.until ?? "").includes("partitions | length == 0"));
  assert.ok(drain >= 0 && emptied > drain, "drain, then wait for no partitions");
  assert.deepEqual(play.roles, [{ role: "facefleet_agent" }]);
  const healthy = post.findIndex((t) => String(t.until ?? "").includes("agentVersion == facefleet_rolling_version"));
  const undrain = post.findIndex((t) => uri(t)?.url.endsWith("/undrain"));
  assert.ok(healthy >= 0 && undrain > healthy, "wait healthy on the new version, then undrain");
  for (const t of [...pre, ...post].filter(uri)) {
    assert.equal(uri(t)?.headers?.Authorization, "Bearer {{ facefleet_coordinator_token }}");
    assert.equal(t.no_log, true);
    assert.equal(t.delegate_to, "localhost");
  }
});

test("the example group_vars take the secrets from vault variables", () => {
  const all = readYaml("inventories", "example", "group_vars", "all", "main.yml") as Record<string, string>;
  assert.equal(all.facefleet_mqtt_password, "{{ vault_facefleet_mqtt_password }}");
  assert.equal(all.facefleet_coordinator_token, "{{ vault_facefleet_coordinator_token }}");
  assert.ok(
    !existsSync(join(ansibleDir, "inventories", "example", "group_vars", "all", "vault.yml")),
    "no plaintext vault.yml in the example",
  );
});

// ---------------------------------------------------------------------------------------------------------
// The real run.
