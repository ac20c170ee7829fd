/** Camera placement (coordinator/planner/place-cameras.ts) and its place in the plan: pure, no I/O. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { planPartitions } from "../../coordinator/planner/index.js";
import { placeCameras } from "../../coordinator/planner/place-cameras.js";
import { keyPartition } from "../../kafka/key-partition.js";

/** Camera ids that the key hash puts on one partition of `partitions`. */
function collidingIds(count: number, partitions: number): string[] {
  const byPartition = new Map<number, string[]>();
  for (let k = 0; ; k++) {
    const id = `cam-${k}`;
    const p = keyPartition(id, partitions);
    const list = [...(byPartition.get(p) ?? []), id];
    if (list.length === count) return list;
    byPartition.set(p, list);
  }
}

const hash4 = (camera: string) => keyPartition(camera, 4);

test("keyPartition spreads camera ids over every partition, the same way each time", () => {
  const ids = Array.from({ length: 50 }, (_, i) => `camera-${i}`);
  const counts = [0, 0, 0, 0];
  for (const id of ids) counts[keyPartition(id, 4)] = (counts[keyPartition(id, 4)] ?? 0) + 1;
  assert.equal(
    counts.reduce((a, b) => a + b, 0),
    50,
  );
  assert.ok(
    counts.every((c) => c > 0),
    `all partitions used: ${counts}`,
  );
  assert.equal(keyPartition("camera-7", 4), keyPartition("camera-7", 4), "deterministic");
});

test("cameras whose ids hash alike get partitions of their own; a new camera keeps its hash partition when free", () => {
  const [a, b, c] = collidingIds(3, 4) as [string, string, string];
  const placed = placeCameras({ cameras: [c, b, a], partitionCount: 4, hashPartition: hash4 });
  assert.equal(placed[a], hash4(a), "the first by id keeps its hash partition");
  assert.equal(new Set(Object.values(placed)).size, 3, `three partitions: ${JSON.stringify(placed)}`);
  for (const p of Object.values(placed)) assert.ok(p >= 0 && p < 4);
});

test("placements are sticky, survive a camera's absence, and are given up only when a partition is needed", () => {
  const first = placeCameras({ cameras: ["door", "yard"], partitionCount: 2, hashPartition: () => 0 });
  assert.deepEqual(first, { door: 0, yard: 1 });
  // A new camera whose hash is door's partition: door keeps it, nothing moves.
  const again = placeCameras({ cameras: ["yard", "door"], previous: first, partitionCount: 2, hashPartition: () => 1 });
  assert.deepEqual(again, first);
  // yard's agent is down: its placement stays while nobody needs the partition.
  assert.deepEqual(placeCameras({ cameras: ["door"], previous: first, partitionCount: 2, hashPartition: () => 0 }), first);
  // A third camera needs a partition: the unreported yard's is given up.
  assert.deepEqual(placeCameras({ cameras: ["door", "gate"], previous: first, partitionCount: 2, hashPartition: () => 0 }), {
    door: 0,
    gate: 1,
  });
  // More cameras than partitions: they share, fewest per partition first.
  const crowded = placeCameras({ cameras: ["a", "b", "c", "d", "e"], partitionCount: 2, hashPartition: () => 0 });
  const perPartition = [0, 0];
  for (const p of Object.values(crowded)) perPartition[p] = (perPartition[p] ?? 0) + 1;
  assert.deepEqual(perPartition.sort(), [2, 3]);
  // A placement beyond the partition count is made again.
  assert.deepEqual(placeCameras({ cameras: ["door"], previous: { door: 7 }, partitionCount: 2, hashPartition: () => 1 }), { door: 1 });
});

test("the planner publishes camera placements and a new version when they change, and only then", () => {
  const [a, b] = collidingIds(2, 4) as [string, string];
  const agents = [{ id: "x", capacityFps: 20, accelerator: false, drained: false }];
  const base = { agents, loads: [], partitionCount: 4, topic: "facefleet.frames", now: 1_000 };
  const one = planPartitions({ ...base, cameras: [a] });
  assert.deepEqual(one.plan.cameras, { [a]: hash4(a) });
  const same = planPartitions({ ...base, previous: one.plan, cameras: [a], now: 2_000 });
  assert.equal(same.changed, false);
  const two = planPartitions({ ...base, previous: one.plan, cameras: [a, b], now: 3_000 });
  assert.equal(two.changed, true);
  assert.equal(two.plan.version, one.plan.version + 1);
  assert.notEqual(two.plan.cameras[b], two.plan.cameras[a]);
  assert.match(two.plan.reason, new RegExp(`cameras placed: ${b} on ${two.plan.cameras[b]}`));
});
