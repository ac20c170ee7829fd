/**
 * The partition planner: previous plan + live agents + load + pins -> the next plan, the moves and
 * warnings. Pure and deterministic. Steps:
 *  1. pins to a live, non-drained agent hold (a pin to a dead or drained agent is reported as
 *     unsatisfiable and the partition is planned like any other);
 *  2. every other partition stays with its owner while that owner is alive and not drained;
 *  3. the rest (new partitions, those of dead or drained agents) are placed heaviest first (place.ts);
 *  4. agents above capacity, or above the fleet's utilisation by more than the threshold, shed the
 *     fewest partitions that bring them back, skipping pinned ones and those in cooldown (the latter
 *     only while that is enough to get below capacity) (shed.ts).
 *  5. guard: when step 4 moved anything, a plan from scratch is made too, and used instead if it
 *     changes fewer partitions against the previous plan, moves none in cooldown and leaves no
 *     more overload (so the planner never moves more than replanning from scratch would).
 *  6. cameras reported by live agents are placed on partitions, one each while there are enough
 *     (place-cameras.ts), so that the load of one camera is the load of one partition.
 * The version grows by one only when owners, pins, drained agents or camera placements change.
 */

import { keyPartition } from "../../kafka/key-partition.js";
import { type PartitionPlan, PLAN_SCHEMA_VERSION } from "../../protocol/plan.js";
import { Assignment } from "./assignment.js";
import { partitionLoads } from "./partition-load.js";
import { placeOrphans } from "./place.js";
import { placeCameras } from "./place-cameras.js";
import { planChanged, planReason } from "./plan-change.js";
import { shedExcess } from "./shed.js";
import {
  defaultPlannerSettings,
  type MoveReason,
  type PartitionMove,
  type PlannerInput,
  type PlannerResult,
  type PlannerSettings,
} from "./types.js";

export function planPartitions(input: PlannerInput): PlannerResult {
  const settings: PlannerSettings = { ...defaultPlannerSettings, ...input.settings };
  const partitionCount = input.partitionCount;
  if (!Number.isInteger(partitionCount) || partitionCount < 1)
    throw new Error(`partitionCount must be a positive integer, got ${partitionCount}`);
  const warnings: string[] = [];
  const previous = input.previous ?? null;
  const movedAt = input.state?.movedAt ?? {};

  const live = new Map<string, (typeof input.agents)[number]>();
  for (const agent of input.agents) {
    if (live.has(agent.id)) warnings.push(`agent ${agent.id} listed twice; the first entry counts`);
    else live.set(agent.id, agent);
  }
  const eligible = [...live.values()].filter((agent) => !agent.drained);
  const drained = [...live.values()]
    .filter((agent) => agent.drained)
    .map((agent) => agent.id)
    .sort();
  const loads = partitionLoads(partitionCount, input.loads, settings);
  const eligibleIds = new Set(eligible.map((agent) => agent.id));

  // Pins: keep the valid ones in the plan; they hold while their agent is live and not drained.
  const pins: Record<string, string> = {};
  const pinnedTo = new Map<number, string>();
  for (const [key, agent] of Object.entries(input.pins ?? {}).sort(([x], [y]) => Number(x) - Number(y))) {
    const partition = Number(key);
    if (!/^\d+$/.test(key) || partition >= partitionCount) {
      warnings.push(`pin of partition ${key} ignored: the topic has partitions 0..${partitionCount - 1}`);
      continue;
    }
    pins[String(partition)] = agent;
    if (eligibleIds.has(agent)) pinnedTo.set(partition, agent);
    else
      warnings.push(`pin of partition ${partition} to ${agent} unsatisfiable: the agent is ${live.has(agent) ? "drained" : "not alive"}`);
  }

  const previousOwner = (partition: number): string | null =>
    previous && partition < previous.partitionCount ? (previous.owners[String(partition)] ?? null) : null;
  const inCooldown = (p: number) => {
    const last = movedAt[String(p)];
    return last !== undefined && input.now - last < settings.cooldownMs;
  };
  /** Why a partition must move whatever the plan, or null when moving it is the planner's choice. */
  const forcedReason = (p: number): MoveReason | null => {
    const before = previousOwner(p);
    if (before === null) return "unassigned";
    if (pinnedTo.has(p) && pinnedTo.get(p) !== before) return "pinned";
    if (!eligibleIds.has(before)) return live.has(before) ? "owner-drained" : "owner-lost";
    return null;
  };

  /** Pins, then (when sticky) the previous owners, then placement of the rest, then shedding. */
  const build = (sticky: boolean, notes: string[]): Assignment => {
    const a = new Assignment(eligible, loads, settings.unmeasuredCapacityFps);
    const orphans = new Map<number, MoveReason>();
    for (let p = 0; p < partitionCount; p++) {
      const pin = pinnedTo.get(p);
      const before = sticky ? previousOwner(p) : null;
      const current = before === null ? undefined : a.index.get(before);
      if (pin !== undefined) a.assign(p, a.index.get(pin) as number, pin === before ? undefined : "pinned");
      else if (current !== undefined) a.assign(p, current);
      else orphans.set(p, forcedReason(p) ?? "unassigned");
    }
    if (a.agentCount === 0) return a;
    placeOrphans(a, orphans, notes);
    shedExcess(a, settings.imbalanceThreshold, (p) => !pinnedTo.has(p), inCooldown, notes);
    return a;
  };

  const changesOf = (a: Assignment) => {
    let count = 0;
    for (let p = 0; p < partitionCount; p++) if (a.ids[a.owner[p] as number] !== previousOwner(p)) count++;
    return count;
  };
  const overloadOf = (a: Assignment) => {
    let sum = 0;
    for (let i = 0; i < a.agentCount; i++) sum += Math.max(0, -a.headroom(i));
    return sum;
  };

  let notes: string[] = [];
  let a = build(true, notes);
  if (a.agentCount === 0) warnings.push("no live, non-drained agent: no partition has an owner");
  // Guard: the planner's own moves (overload, imbalance) never exceed what a plan from scratch would
  // change. Where one from scratch changes fewer partitions, moves none in cooldown and leaves no
  // more overload, it is used instead (rare: small fleets where partitions are coarse).
  if (previous && [...a.why.values()].some((why) => why === "overload" || why === "imbalance")) {
    const scratchNotes: string[] = [];
    const scratch = build(false, scratchNotes);
    let touchesCooldown = false;
    for (let p = 0; p < partitionCount && !touchesCooldown; p++) {
      const to = scratch.ids[scratch.owner[p] as number];
      touchesCooldown = to !== previousOwner(p) && forcedReason(p) === null && inCooldown(p);
    }
    if (!touchesCooldown && changesOf(scratch) < changesOf(a) && overloadOf(scratch) <= overloadOf(a) + 1e-9) {
      for (let p = 0; p < partitionCount; p++) {
        if (scratch.ids[scratch.owner[p] as number] === previousOwner(p)) scratch.why.delete(p);
        else scratch.why.set(p, forcedReason(p) ?? a.why.get(p) ?? "imbalance");
      }
      a = scratch;
      notes = scratchNotes;
    }
  }
  warnings.push(...notes);

  const owners: Record<string, string> = {};
  const moves: PartitionMove[] = [];
  const nextMovedAt: Record<string, number> = {};
  for (let p = 0; p < partitionCount; p++) {
    const last = movedAt[String(p)];
    if (last !== undefined && input.now - last < settings.cooldownMs) nextMovedAt[String(p)] = last;
    const agent = a.owner[p] as number;
    if (agent < 0) continue;
    const to = a.ids[agent] as string;
    owners[String(p)] = to;
    const from = previousOwner(p);
    if (from !== to) {
      moves.push({ partition: p, from, to, why: a.why.get(p) ?? (from === null ? "unassigned" : "owner-lost") });
      // A first placement is not a move: only moving work between agents starts the cooldown.
      if (from !== null) nextMovedAt[String(p)] = input.now;
    }
  }

  const cameras = placeCameras({
    cameras: input.cameras ?? [],
    previous: previous?.cameras ?? {},
    partitionCount,
    hashPartition: (camera) => keyPartition(camera, partitionCount, input.topic),
  });
  const content = { owners, pins, drained, partitionCount, cameras };
  const changed = planChanged(previous, content);
  const plan: PartitionPlan =
    previous && !changed
      ? previous
      : {
          schemaVersion: PLAN_SCHEMA_VERSION,
          version: previous ? previous.version + 1 : 1,
          createdAt: input.now,
          topic: input.topic,
          partitionCount,
          owners,
          pins,
          cameras,
          drained,
          reason: planReason(previous, content, moves),
        };
  return { plan, state: { movedAt: nextMovedAt }, moves, warnings, changed };
}
