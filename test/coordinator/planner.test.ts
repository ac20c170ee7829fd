/** The partition planner (coordinator/planner): unit cases for each goal of docs/design.md "Partition assignment". */
import assert from "node:assert/strict";
import { test } from "node:test";
import { type PlannerAgent, type PlannerInput, type PlannerResult, planPartitions } from "../../coordinator/planner/index.js";
import { pickShed } from "../../coordinator/planner/pick-shed.js";
import { partitionPlanSchema, partitionsOf } from "../../protocol/plan.js";

const T0 = 1_800_000_000_000;
const agent = (id: string, capacityFps = 100, extra: Partial<PlannerAgent> = {}): PlannerAgent => ({
  id,
  capacityFps,
  accelerator: false,
  drained: false,
  ...extra,
});
const uniform = (count: number, fps = 10) => Array.from({ length: count }, (_, partition) => ({ partition, fps }));

function plan(input: Partial<PlannerInput> & Pick<PlannerInput, "agents">, previous?: PlannerResult): PlannerResult {
  const loads = input.loads ?? uniform(input.partitionCount ?? 12);
  const result = planPartitions({
    topic: "facefleet.frames",
    partitionCount: loads.length,
    now: T0,
    loads,
    previous: previous?.plan,
    state: previous?.state,
    ...input,
  });
  partitionPlanSchema.parse(result.plan);
  return result;
}

test("a new fleet spreads partitions evenly, version 1", () => {
  const r = plan({ agents: [agent("a"), agent("b"), agent("c"), agent("d")], partitionCount: 12 });
  for (const id of ["a", "b", "c", "d"]) assert.equal(partitionsOf(r.plan, id).length, 3);
  assert.equal(r.plan.version, 1);
  assert.equal(r.moves.length, 12);
  assert.ok(r.moves.every((m) => m.from === null && m.why === "unassigned"));
  assert.match(r.plan.reason, /initial plan/);
});

test("with no load measured yet, partitions still spread by count", () => {
  const r = plan({ agents: [agent("a"), agent("b"), agent("c")], loads: uniform(9, 0) });
  for (const id of ["a", "b", "c"]) assert.equal(partitionsOf(r.plan, id).length, 3);
});

test("capacity-weighted: a bigger agent gets a bigger share", () => {
  const r = plan({ agents: [agent("big", 300), agent("small", 100)], partitionCount: 20 });
  assert.equal(partitionsOf(r.plan, "big").length, 15);
  assert.equal(partitionsOf(r.plan, "small").length, 5);
});

test("an agent dies: only its partitions move, to the living", () => {
  const first = plan({ agents: [agent("a"), agent("b"), agent("c"), agent("d")], partitionCount: 12 });
  const lost = partitionsOf(first.plan, "b");
  const r = plan({ agents: [agent("a"), agent("c"), agent("d")], partitionCount: 12, now: T0 + 1000 }, first);
  assert.deepEqual(
    r.moves.map((m) => m.partition),
    lost,
  );
  assert.ok(r.moves.every((m) => m.from === "b" && m.why === "owner-lost" && m.to !== "b"));
  assert.equal(r.plan.version, 2);
  assert.match(r.plan.reason, /agent lost: 3 moved from b/);
  for (const id of ["a", "c", "d"]) assert.equal(partitionsOf(r.plan, id).length, 4);
});

test("a new agent joins a balanced fleet: sticky, nothing moves, version unchanged", () => {
  const agents = Array.from({ length: 8 }, (_, i) => agent(`a${i}`));
  const first = plan({ agents, partitionCount: 40 });
  const r = plan({ agents: [...agents, agent("new")], partitionCount: 40, now: T0 + 120_000 }, first);
  assert.equal(r.moves.length, 0);
  assert.equal(r.changed, false);
  assert.equal(r.plan.version, 1);
  assert.equal(r.plan, first.plan);
});

test("a new agent joining a small fleet gets work when the imbalance exceeds the threshold", () => {
  const first = plan({ agents: [agent("a"), agent("b")], partitionCount: 12 });
  const r = plan({ agents: [agent("a"), agent("b"), agent("c")], partitionCount: 12, now: T0 + 120_000 }, first);
  // mean utilisation 120/300 = 0.4, limit 0.5 -> a and b keep at most 5 each
  assert.equal(r.moves.length, 2);
  assert.ok(r.moves.every((m) => m.to === "c" && m.why === "imbalance"));
  assert.equal(r.plan.version, 2);
});

test("overload moves the fewest partitions, to agents with room", () => {
  const loads = [40, 30, 20, 10, 5, 5].map((fps, partition) => ({ partition, fps }));
  const first = plan({ agents: [agent("a", 200), agent("b", 200)], loads, settings: { imbalanceThreshold: 10 } });
  const onA = partitionsOf(first.plan, "a");
  const loadA = onA.reduce((s, p) => s + (loads[p]?.fps ?? 0), 0);
  // a's capacity drops so it is 12 fps over: one partition of >= 12 fps suffices, the lightest such.
  const capacity = loadA - 12;
  const r = plan(
    { agents: [agent("a", capacity), agent("b", 200)], loads, settings: { imbalanceThreshold: 10 }, now: T0 + 120_000 },
    first,
  );
  assert.equal(r.moves.length, 1);
  const moved = r.moves[0];
  assert.equal(moved?.why, "overload");
  const candidates = onA.map((p) => loads[p]?.fps ?? 0).filter((fps) => fps >= 12);
  assert.equal(loads[moved?.partition ?? -1]?.fps, Math.min(...candidates));
});

test("an overloaded fleet as a whole: nothing moves, a warning", () => {
  const first = plan({ agents: [agent("a"), agent("b")], partitionCount: 12 });
  const r = plan({ agents: [agent("a", 50), agent("b", 50)], partitionCount: 12, now: T0 + 120_000 }, first);
  assert.equal(r.moves.length, 0);
  assert.ok(r.warnings.some((w) => /stays above capacity/.test(w)));
});

test("pins hold; a pin to a dead or drained agent is unsatisfiable and the partition goes elsewhere", () => {
  const first = plan({ agents: [agent("a"), agent("b"), agent("c")], partitionCount: 9 });
  const target = partitionsOf(first.plan, "a")[0] as number;
  const r = plan({ agents: [agent("a"), agent("b"), agent("c")], partitionCount: 9, pins: { [target]: "c" }, now: T0 + 1 }, first);
  assert.equal(r.plan.owners[String(target)], "c");
  assert.deepEqual(r.plan.pins, { [target]: "c" });
  assert.ok(r.moves.some((m) => m.partition === target && m.why === "pinned"));
  assert.equal(r.plan.version, 2);
  // c dies: the pin stays in the plan but cannot hold
  const dead = plan({ agents: [agent("a"), agent("b")], partitionCount: 9, pins: { [target]: "c" }, now: T0 + 2 }, r);
  assert.notEqual(dead.plan.owners[String(target)], "c");
  assert.ok(dead.warnings.some((w) => w.includes(`pin of partition ${target} to c unsatisfiable: the agent is not alive`)));
  // pinned to a drained agent
  const drained = plan(
    { agents: [agent("a"), agent("b"), agent("c", 100, { drained: true })], partitionCount: 9, pins: { [target]: "c" }, now: T0 + 3 },
    r,
  );
  assert.notEqual(drained.plan.owners[String(target)], "c");
  assert.ok(drained.warnings.some((w) => w.includes("the agent is drained")));
  // pins outside the topic are dropped with a warning
  const bad = plan({ agents: [agent("a")], partitionCount: 9, pins: { 99: "a" } });
  assert.deepEqual(bad.plan.pins, {});
  assert.ok(bad.warnings.some((w) => /pin of partition 99 ignored/.test(w)));
});

test("a pinned partition is never shed, even from an overloaded agent", () => {
  const loads = uniform(4, 30);
  const first = plan({ agents: [agent("a"), agent("b")], loads, pins: { 0: "a", 1: "a" } });
  const r = plan({ agents: [agent("a", 40), agent("b", 200)], loads, pins: { 0: "a", 1: "a" }, now: T0 + 120_000 }, first);
  assert.deepEqual(partitionsOf(r.plan, "a"), [0, 1]);
  assert.ok(r.warnings.some((w) => /agent a stays above capacity/.test(w)));
});

test("a drained agent owns nothing; undrain gives work back when the imbalance warrants", () => {
  const agents = [agent("a"), agent("b"), agent("c")];
  const first = plan({ agents, partitionCount: 12 });
  const drainedAgents = [agent("a"), agent("b", 100, { drained: true }), agent("c")];
  const drained = plan({ agents: drainedAgents, partitionCount: 12, now: T0 + 1000 }, first);
  assert.deepEqual(partitionsOf(drained.plan, "b"), []);
  assert.deepEqual(drained.plan.drained, ["b"]);
  assert.ok(drained.moves.every((m) => m.from === "b" && m.why === "owner-drained"));
  assert.equal(drained.moves.length, 4);
  assert.match(drained.plan.reason, /agent drained: 4 moved from b/);
  // undrain after the cooldown: a and c carry 6 each, mean 4 -> each sheds down to the 5 the threshold allows
  const undrained = plan({ agents, partitionCount: 12, now: T0 + 1000 + 120_000 }, drained);
  assert.deepEqual(undrained.plan.drained, []);
  assert.equal(partitionsOf(undrained.plan, "b").length, 2);
  assert.ok(undrained.moves.every((m) => m.to === "b" && m.why === "imbalance"));
});

test("cooldown: a partition moved recently stays put unless its owner dies; a first placement is not a move", () => {
  const first = plan({ agents: [agent("a"), agent("b")], partitionCount: 12 });
  assert.deepEqual(first.state.movedAt, {}, "placing unowned partitions starts no cooldown");
  // so a new agent gets work at once
  const early = plan({ agents: [agent("a"), agent("b"), agent("c")], partitionCount: 12, now: T0 + 1000 }, first);
  assert.ok(partitionsOf(early.plan, "c").length > 0);
  assert.deepEqual(Object.keys(early.state.movedAt).sort(), early.moves.map((m) => String(m.partition)).sort());
  // within the cooldown, the partitions just moved stay put when another agent joins
  const moved = new Set(early.moves.map((m) => m.partition));
  const joined = plan({ agents: [agent("a"), agent("b"), agent("c"), agent("d")], partitionCount: 12, now: T0 + 2000 }, early);
  assert.ok(joined.moves.length > 0);
  for (const m of joined.moves) assert.ok(!moved.has(m.partition), `partition ${m.partition} moved again within its cooldown`);
  // after the cooldown the state forgets them
  const later = plan({ agents: [agent("a"), agent("b"), agent("c"), agent("d")], partitionCount: 12, now: T0 + 63_000 }, joined);
  assert.deepEqual(Object.keys(later.state.movedAt).sort(), later.moves.map((m) => String(m.partition)).sort());
  // but a dead owner's partitions move at once, cooldown or not
  const dead = plan({ agents: [agent("a"), agent("b"), agent("d")], partitionCount: 12, now: T0 + 2500 }, joined);
  assert.deepEqual(partitionsOf(dead.plan, "c"), []);
  assert.equal(dead.moves.length, partitionsOf(joined.plan, "c").length);
});

test("version grows only when owners, pins or drained change", () => {
  const agents = [agent("a"), agent("b")];
  const first = plan({ agents, partitionCount: 6 });
  const same = plan({ agents, partitionCount: 6, now: T0 + 5000 }, first);
  assert.equal(same.changed, false);
  assert.equal(same.plan.version, 1);
  assert.equal(same.plan.createdAt, T0);
  const pinned = plan({ agents, partitionCount: 6, pins: { 0: "a" }, now: T0 + 6000 }, same);
  assert.equal(pinned.plan.version, 2, "a pin that changes nothing still changes the plan's pins");
  assert.equal(pinned.moves.length, 0);
  assert.match(pinned.plan.reason, /pins changed/);
  const drain = plan(
    { agents: [agent("a"), agent("b"), agent("c", 1, { drained: true })], partitionCount: 6, pins: { 0: "a" }, now: T0 + 7000 },
    pinned,
  );
  assert.equal(drain.plan.version, 3);
  assert.match(drain.plan.reason, /drained agents changed/);
});

test("accelerators take the heaviest partitions first", () => {
  const loads = [50, 5, 40, 5, 30, 5, 5, 5].map((fps, partition) => ({ partition, fps }));
  const r = plan({ agents: [agent("cpu1", 100), agent("gpu", 100, { accelerator: true }), agent("cpu2", 100)], loads });
  const gpu = partitionsOf(r.plan, "gpu");
  assert.ok(gpu.includes(0), `gpu got ${gpu}`);
  const heaviestElsewhere = Math.max(...[...partitionsOf(r.plan, "cpu1"), ...partitionsOf(r.plan, "cpu2")].map((p) => loads[p]?.fps ?? 0));
  assert.ok(heaviestElsewhere <= 40);
});

test("cost per frame and lag weigh the load", () => {
  const loads = [
    { partition: 0, fps: 10, costMsPerFrame: 30 },
    { partition: 1, fps: 10, costMsPerFrame: 10 },
    { partition: 2, fps: 10, costMsPerFrame: 10 },
    { partition: 3, fps: 10, costMsPerFrame: 10 },
  ];
  // reference = 15 ms: loads 20, 6.7, 6.7, 6.7 -> the expensive partition alone on one agent
  const r = plan({ agents: [agent("a", 30), agent("b", 30)], loads });
  const owner = r.plan.owners["0"] as string;
  assert.deepEqual(partitionsOf(r.plan, owner), [0]);
});

test("no live agent: an empty plan and a warning; partitions grow: new ones are placed", () => {
  const none = plan({ agents: [agent("a", 100, { drained: true })], partitionCount: 4 });
  assert.deepEqual(none.plan.owners, {});
  assert.ok(none.warnings.some((w) => /no live, non-drained agent/.test(w)));
  const first = plan({ agents: [agent("a"), agent("b")], partitionCount: 4 });
  const grown = plan({ agents: [agent("a"), agent("b")], partitionCount: 6, now: T0 + 1 }, first);
  assert.deepEqual(
    grown.moves.map((m) => [m.partition, m.from, m.why]),
    [
      [4, null, "unassigned"],
      [5, null, "unassigned"],
    ],
  );
  assert.match(grown.plan.reason, /partitions 4 -> 6/);
});

test("pickShed: the lightest partition that covers the excess alone, else the heaviest", () => {
  const load = [50, 30, 20, 12, 5];
  const candidates = [0, 1, 2, 3, 4];
  const loadOf = (p: number) => load[p] ?? 0;
  assert.equal(
    pickShed(candidates, loadOf, 11, () => true),
    3,
  );
  assert.equal(
    pickShed(candidates, loadOf, 25, () => true),
    1,
  );
  assert.equal(
    pickShed(candidates, loadOf, 80, () => true),
    0,
  );
  assert.equal(
    pickShed(candidates, loadOf, 11, (w) => w < 10),
    4,
  );
  assert.equal(
    pickShed(candidates, loadOf, 11, (w) => w > 25),
    1,
  );
  assert.equal(
    pickShed(candidates, loadOf, 11, () => false),
    -1,
  );
});

test("never more of its own moves than a plan from scratch would change", () => {
  // a carries 6+1+1 on capacity 8; f (9) joins: shedding within limits would take 1 and 1 (2 moves)
  // yet still leave a above its limit; from scratch, only the 6 moves.
  const loads = [6, 1, 1].map((fps, partition) => ({ partition, fps }));
  const first = plan({ agents: [agent("a", 8)], loads });
  const r = plan({ agents: [agent("a", 8), agent("f", 9)], loads, now: T0 + 120_000 }, first);
  assert.deepEqual(
    r.moves.map((m) => [m.partition, m.from, m.to, m.why]),
    [[0, "a", "f", "imbalance"]],
  );
});
