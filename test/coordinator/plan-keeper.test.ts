/**
 * The coordinator's plan keeper and agent registry without brokers: what gets published (and what
 * does not), operator moves/pins/drains, the state file across a "restart", liveness from status and
 * health. The publish step is a recorder here; the real Kafka + MQTT publishing is in fleet.test.ts
 * and coordinator-mosquitto.test.ts.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { type FleetInput, PlanKeeper } from "../../coordinator/plan/plan-keeper.js";
import { AgentRegistry } from "../../coordinator/registry/agent-registry.js";
import { CoordinatorStateFile } from "../../coordinator/state/coordinator-state.js";
import type { AgentHealth } from "../../protocol/health.js";
import { type PartitionPlan, partitionsOf } from "../../protocol/plan.js";

const fleetOf = (ids: string[], partitionCount = 6, loadKnown = true): FleetInput => ({
  agents: ids.map((id) => ({ id, capacityFps: 50, accelerator: false })),
  loads: Array.from({ length: partitionCount }, (_, partition) => ({ partition, fps: 2 })),
  partitionCount,
  loadKnown,
});

function keeperIn(dir: string, clock: { now: number }) {
  const published: PartitionPlan[] = [];
  const keeper = new PlanKeeper({
    topic: "facefleet.frames",
    settings: { cooldownMs: 60_000 },
    publish: async (plan) => {
      published.push(plan);
    },
    stateFile: new CoordinatorStateFile(dir),
    log: () => {},
    now: () => clock.now,
  });
  return { keeper, published };
}

test("plan keeper: publishes only changes; moves, pins and drains; a drain of everyone keeps the plan", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-keeper-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clock = { now: 1_800_000_000_000 };
  const { keeper, published } = keeperIn(dir, clock);

  const first = await keeper.replan(fleetOf(["a", "b"]), "first");
  assert.equal(first.published, true);
  assert.equal(first.plan?.version, 1);
  assert.equal(partitionsOf(first.plan as PartitionPlan, "a").length + partitionsOf(first.plan as PartitionPlan, "b").length, 6);

  clock.now += 1000;
  const same = await keeper.replan(fleetOf(["a", "b"]), "load");
  assert.equal(same.published, false, "nothing changed: nothing published");
  assert.equal(published.length, 1);

  // An operator move: the partition goes where asked, version + 1, the reason says so.
  const owner0 = first.plan?.owners["0"] as string;
  const other = owner0 === "a" ? "b" : "a";
  clock.now += 1000;
  const moved = await keeper.move(fleetOf(["a", "b"]), 0, other);
  assert.equal(moved.plan?.owners["0"], other);
  assert.equal(moved.plan?.version, 2);
  assert.match(moved.plan?.reason ?? "", /operator move: partition 0/);
  // …and stays there (cooldown) although the load now says otherwise.
  clock.now += 1000;
  assert.equal((await keeper.replan(fleetOf(["a", "b"]), "load")).plan?.owners["0"], other);

  // Pin, then drain the pinned agent: the pin is unsatisfiable while it is drained, nothing is lost.
  const pinned = await keeper.pin(fleetOf(["a", "b"]), 1, "a");
  assert.equal(pinned.plan?.pins["1"], "a");
  assert.equal(pinned.plan?.owners["1"], "a");
  const drained = await keeper.setDrained(fleetOf(["a", "b"]), "a", true);
  assert.deepEqual(drained.plan?.drained, ["a"]);
  assert.deepEqual(partitionsOf(drained.plan as PartitionPlan, "a"), []);
  assert.equal(Object.keys(drained.plan?.owners ?? {}).length, 6);

  // Draining the last one: the plan is kept (nobody would own anything).
  const versionBefore = keeper.plan?.version;
  const lonely = await keeper.setDrained(fleetOf(["a", "b"]), "b", true);
  assert.equal(lonely.published, false);
  assert.equal(keeper.plan?.version, versionBefore);
  await keeper.setDrained(fleetOf(["a", "b"]), "b", false);

  // The state file holds pins, drains and move times for a restart.
  const saved = JSON.parse(readFileSync(path.join(dir, "coordinator-state.json"), "utf8"));
  assert.deepEqual(saved.pins, { "1": "a" });
  assert.deepEqual(saved.drained, ["a"]);
  assert.ok(saved.movedAt["0"] !== undefined);
});

test("plan keeper after a restart: the same fleet changes nothing, unknown load makes no load moves", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-keeper-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const clock = { now: 1_800_000_000_000 };
  const before = keeperIn(dir, clock);
  await before.keeper.replan(fleetOf(["a", "b", "c"], 9), "first");
  const last = before.keeper.plan as PartitionPlan;

  clock.now += 5 * 60_000; // past every cooldown
  const after = keeperIn(dir, clock);
  after.keeper.restore(last, await new CoordinatorStateFile(dir).load());
  // Skewed load, but not measured yet (a coordinator that just started): no load moves.
  const skewed: FleetInput = { ...fleetOf(["a", "b", "c"], 9, false), loads: [{ partition: 0, fps: 500 }] };
  const started = await after.keeper.replan(skewed, "coordinator started");
  assert.equal(started.published, false);
  assert.deepEqual(after.keeper.plan?.owners, last.owners);
  // A dead owner still moves at once.
  const lost = await after.keeper.replan(fleetOf(["a", "b"], 9, false), "c lost");
  assert.equal(lost.published, true);
  assert.deepEqual(partitionsOf(lost.plan as PartitionPlan, "c"), []);
  assert.equal(lost.plan?.version, last.version + 1);
});

test("agent registry: live by status and health; a retained online alone expires; a health report revives", () => {
  const clock = { now: 1000 };
  const registry = new AgentRegistry(4000, () => clock.now);
  assert.equal(registry.noteStatus("a", "online"), true);
  assert.equal(registry.noteStatus("a", "bogus"), false);
  assert.deepEqual(registry.liveIds(), ["a"]);
  clock.now += 4500; // no health came: a stale retained "online"
  assert.deepEqual(registry.liveIds(), []);
  registry.noteHealth({ agentId: "a" } as AgentHealth);
  assert.deepEqual(registry.liveIds(), ["a"]);
  registry.noteStatus("a", "offline");
  assert.deepEqual(registry.liveIds(), [], "the last will wins at once");
  registry.noteHealth({ agentId: "b" } as AgentHealth);
  assert.equal(registry.get("b")?.status, "online", "health without a status counts as online");
  assert.equal(registry.lastSeen("b"), clock.now);
});
