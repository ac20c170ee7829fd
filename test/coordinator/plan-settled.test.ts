import assert from "node:assert/strict";
import { test } from "node:test";
import { holdingsMatchPlan, SettleGate } from "../../coordinator/plan/plan-settled.js";
import type { AgentHealth } from "../../protocol/health.js";
import type { PartitionPlan } from "../../protocol/plan.js";

const topic = "facefleet.frames";
const plan = { version: 3, owners: { "0": "a", "1": "b", "2": "a", "3": "b" } } as unknown as PartitionPlan;
/** Only what holdingsMatchPlan reads of a health report. */
const holding = (...partitions: number[]) =>
  ({
    partitions: [...partitions.map((partition) => ({ topic, partition, lag: 0 })), { topic: "facefleet.gallery", partition: 0, lag: 0 }],
  }) as unknown as AgentHealth;

test("holdings match the plan only when every worker reported exactly its partitions of the frames topic", () => {
  assert.equal(
    holdingsMatchPlan(
      plan,
      [
        { id: "a", health: holding(2, 0) },
        { id: "b", health: holding(1, 3) },
      ],
      topic,
    ),
    true,
  );
  // The group not rebalanced yet: a holds everything, b nothing.
  assert.equal(
    holdingsMatchPlan(
      plan,
      [
        { id: "a", health: holding(0, 1, 2, 3) },
        { id: "b", health: holding() },
      ],
      topic,
    ),
    false,
  );
  // One too few, one not heard from.
  assert.equal(
    holdingsMatchPlan(
      plan,
      [
        { id: "a", health: holding(0) },
        { id: "b", health: holding(1, 3) },
      ],
      topic,
    ),
    false,
  );
  assert.equal(
    holdingsMatchPlan(
      plan,
      [
        { id: "a", health: holding(0, 2) },
        { id: "b", health: null },
      ],
      topic,
    ),
    false,
  );
  // A worker the plan gives nothing (joined just now) that holds nothing matches; no plan yet: nothing to wait for.
  assert.equal(
    holdingsMatchPlan(
      plan,
      [
        { id: "a", health: holding(0, 2) },
        { id: "b", health: holding(1, 3) },
        { id: "c", health: holding() },
      ],
      topic,
    ),
    true,
  );
  assert.equal(holdingsMatchPlan(null, [{ id: "a", health: null }], topic), true);
});

test("the settle gate waits while unsettled, at most maxWaitMs from when it became so; 0 never waits", () => {
  const gate = new SettleGate(30_000);
  assert.equal(gate.open(true, 0), true);
  assert.equal(gate.open(false, 1_000), false);
  assert.equal(gate.open(false, 30_999), false);
  assert.equal(gate.open(false, 31_000), true, "unsettled for 30 s: load planning goes on");
  assert.equal(gate.open(true, 32_000), true);
  assert.equal(gate.open(false, 40_000), false, "a new disturbance waits again from its own start");
  assert.equal(new SettleGate(0).open(false, 0), true);
});
