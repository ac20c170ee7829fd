/**
 * Planner at scale, simulated in-process (no broker, no agents): 1,000 agents × 10,000 partitions
 * with varied capacities and loads (fleet-sim.ts). Measures the plan time from scratch and
 * incrementally (median of several runs), and the partitions moved after one agent dies, one joins,
 * or one agent's capacity halves, against the minimum any planner must move under the same policy
 * (minimum.ts), over 20 seeded trials each (goal ≤ 1.1×). Then a 20-agent × 200-partition fleet in
 * which one agent joins and another's capacity halves gives the chart of load per agent before and
 * after the rebalance. Writes bench/results/planner.json, planner.md and planner-load.svg atomically.
 *
 *   npx tsc -p tsconfig.json && node dist/bench/planner/run.js
 */
import { performance } from "node:perf_hooks";
import {
  defaultPlannerSettings,
  type PlannerAgent,
  type PlannerInput,
  type PlannerResult,
  planPartitions,
} from "../../coordinator/planner/index.js";
import { partitionLoads } from "../../coordinator/planner/partition-load.js";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { machineDescription } from "../support/machine.js";
import { renderLoadBars } from "./bar-chart.js";
import { prng, simulateFleet } from "./fleet-sim.js";
import { type AgentLoad, minimumShed } from "./minimum.js";
import { renderPlannerReport, type ScenarioSummary } from "./report.js";

const AGENTS = 1000;
const PARTITIONS = 10_000;
const UTILISATION = 0.7;
const TRIALS = 20;
const TIMING_RUNS = 15;
const T0 = 1_800_000_000_000;
const LATER = T0 + 10 * 60_000; // past every cooldown
const settings = defaultPlannerSettings;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
const round = (n: number, digits = 2) => Math.round(n * 10 ** digits) / 10 ** digits;

function timed(input: PlannerInput): { result: PlannerResult; ms: number } {
  const start = performance.now();
  const result = planPartitions(input);
  return { result, ms: performance.now() - start };
}

/** Each agent's capacity and the planner-unit loads of the partitions a plan gives it. */
function agentLoads(agents: readonly PlannerAgent[], owners: Record<string, string>, load: Float64Array): AgentLoad[] {
  const byId = new Map<string, AgentLoad>(
    agents.filter((a) => !a.drained).map((a) => [a.id, { id: a.id, capacity: a.capacityFps > 0 ? a.capacityFps : 1, partitionLoads: [] }]),
  );
  for (const [p, owner] of Object.entries(owners)) byId.get(owner)?.partitionLoads.push(load[Number(p)] as number);
  return [...byId.values()];
}

type Trial = { agent: string; moved: number; minimum: number; movedLoad: number; minimumLoad: number; ms: number };

function summarise(trials: Trial[]): ScenarioSummary {
  const moved = trials.reduce((s, t) => s + t.moved, 0);
  const minimum = trials.reduce((s, t) => s + t.minimum, 0);
  const ratios = trials.filter((t) => t.minimum > 0).map((t) => t.moved / t.minimum);
  return {
    trials: trials.length,
    moved,
    minimum,
    ratio: minimum > 0 ? round(moved / minimum, 3) : moved === 0 ? 1 : null,
    worstTrialRatio: ratios.length > 0 ? round(Math.max(...ratios), 3) : null,
    trialsAboveMinimum: trials.filter((t) => t.moved > t.minimum).length,
    movedLoad: round(
      trials.reduce((s, t) => s + t.movedLoad, 0),
      1,
    ),
    minimumLoad: round(
      trials.reduce((s, t) => s + t.minimumLoad, 0),
      1,
    ),
    medianPlanMs: round(median(trials.map((t) => t.ms)), 2),
    perTrial: trials.map((t) => ({ ...t, movedLoad: round(t.movedLoad, 1), minimumLoad: round(t.minimumLoad, 1), ms: round(t.ms, 2) })),
  };
}

async function main() {
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const fleet = simulateFleet(AGENTS, PARTITIONS, UTILISATION, 42);
  const base: Omit<PlannerInput, "agents"> = { topic: "facefleet.frames", partitionCount: PARTITIONS, loads: fleet.loads, now: T0 };
  const load = partitionLoads(PARTITIONS, fleet.loads, settings);

  // From scratch
  for (let i = 0; i < 3; i++) planPartitions({ ...base, agents: fleet.agents });
  const scratchRuns: number[] = [];
  let scratch: PlannerResult | undefined;
  for (let i = 0; i < TIMING_RUNS; i++) {
    const t = timed({ ...base, agents: fleet.agents });
    scratchRuns.push(t.ms);
    scratch = t.result;
  }
  if (!scratch) throw new Error("no plan");
  const first = scratch;
  log(`from scratch: median ${median(scratchRuns).toFixed(2)} ms; warnings ${first.warnings.length}`);
  const next = (agents: PlannerAgent[]) => timed({ ...base, agents, now: LATER, previous: first.plan, state: first.state });

  // Incremental, nothing changed
  const steadyRuns: number[] = [];
  let steadyMoves = 0;
  for (let i = 0; i < TIMING_RUNS; i++) {
    const t = next(fleet.agents);
    steadyRuns.push(t.ms);
    steadyMoves = t.result.moves.length;
  }

  const random = prng(7);
  const picks = new Set<number>();
  while (picks.size < TRIALS) picks.add(Math.floor(random() * AGENTS));
  const chosen = [...picks].map((i) => fleet.agents[i] as PlannerAgent);
  const movedLoad = (r: PlannerResult) => r.moves.reduce((s, m) => s + (load[m.partition] as number), 0);

  const dies: Trial[] = chosen.map((victim) => {
    const agents = fleet.agents.filter((a) => a.id !== victim.id);
    const t = next(agents);
    const owned = Object.values(first.plan.owners).filter((o) => o === victim.id).length;
    const ownedLoad = Object.entries(first.plan.owners)
      .filter(([, o]) => o === victim.id)
      .reduce((s, [p]) => s + (load[Number(p)] as number), 0);
    return {
      agent: victim.id,
      moved: t.result.moves.length,
      minimum: owned,
      movedLoad: movedLoad(t.result),
      minimumLoad: ownedLoad,
      ms: t.ms,
    };
  });

  /** Replans for a changed fleet whose minimum is the load that must be shed (a join, a capacity change). */
  const shedTrial = (agent: string, agents: PlannerAgent[]): Trial => {
    const t = next(agents);
    const min = minimumShed(agentLoads(agents, first.plan.owners, load), settings.imbalanceThreshold);
    return {
      agent,
      moved: t.result.moves.length,
      minimum: min.partitions,
      movedLoad: movedLoad(t.result),
      minimumLoad: min.load,
      ms: t.ms,
    };
  };
  const joins: Trial[] = chosen.map((model, i) => {
    const newcomer: PlannerAgent = { ...model, id: `agent-new-${i}` };
    return shedTrial(newcomer.id, [...fleet.agents, newcomer]);
  });
  const halves: Trial[] = chosen.map((victim) =>
    shedTrial(
      victim.id,
      fleet.agents.map((a) => (a.id === victim.id ? { ...a, capacityFps: a.capacityFps / 2 } : a)),
    ),
  );

  // Chart: 19 agents + 1 joining, 200 partitions; agent-0003's capacity halves at the same time.
  const small = simulateFleet(20, 200, 0.6, 11);
  const smallLoad = partitionLoads(200, small.loads, settings);
  const joining = small.agents[19] as PlannerAgent;
  const startAgents = small.agents.slice(0, 19);
  const smallBase = { topic: "facefleet.frames", partitionCount: 200, loads: small.loads };
  const before = planPartitions({ ...smallBase, agents: startAgents, now: T0 });
  const changedAgents = small.agents.map((a) => (a.id === "agent-0003" ? { ...a, capacityFps: a.capacityFps / 2 } : a));
  const after = planPartitions({ ...smallBase, agents: changedAgents, now: LATER, previous: before.plan, state: before.state });
  const sumFor = (owners: Record<string, string>, id: string) =>
    Object.entries(owners)
      .filter(([, o]) => o === id)
      .reduce((s, [p]) => s + (smallLoad[Number(p)] as number), 0);
  const bars = changedAgents.map((a) => ({
    label: `${a.id.replace("agent-00", "a")}${a.accelerator ? "*" : ""}`,
    before: round(sumFor(before.plan.owners, a.id), 1),
    after: round(sumFor(after.plan.owners, a.id), 1),
    capacity: a.capacityFps,
  }));
  const svg = renderLoadBars(
    "Load per agent before and after a rebalance",
    `20 agents × 200 partitions: ${joining.id} joins and agent-0003's capacity halves; ${after.moves.length} partitions moved (* = accelerator)`,
    bars,
    "load (frames/s at the reference cost)",
  );

  const results = {
    benchmark: "planner",
    date: new Date().toISOString(),
    command: "npx tsc -p tsconfig.json && node dist/bench/planner/run.js",
    machine: machineDescription(),
    settings,
    fleet: {
      agents: AGENTS,
      partitions: PARTITIONS,
      utilisation: UTILISATION,
      accelerators: fleet.agents.filter((a) => a.accelerator).length,
      capacityFps: { min: Math.min(...fleet.agents.map((a) => a.capacityFps)), max: Math.max(...fleet.agents.map((a) => a.capacityFps)) },
      seed: 42,
    },
    goal: { planMs: 100, movedOverMinimum: 1.1 },
    timing: {
      runs: TIMING_RUNS,
      scratchMedianMs: round(median(scratchRuns)),
      scratchMaxMs: round(Math.max(...scratchRuns)),
      incrementalNoChangeMedianMs: round(median(steadyRuns)),
      incrementalNoChangeMoves: steadyMoves,
      incrementalAgentDiesMedianMs: round(median(dies.map((t) => t.ms))),
      incrementalCapacityHalvesMedianMs: round(median(halves.map((t) => t.ms))),
    },
    scratchWarnings: first.warnings.length,
    scenarios: { agentDies: summarise(dies), agentJoins: summarise(joins), capacityHalves: summarise(halves) },
    minimumDefinition:
      "dies: the partitions the dead agent owned; joins and capacity halves: for each agent then above its limit min(capacity, capacity × fleet utilisation × (1 + imbalanceThreshold)), the fewest of its partitions whose load covers the excess (heaviest first) — 0 when no agent is above its limit",
    chart: {
      file: "planner-load.svg",
      agents: 20,
      partitions: 200,
      change: `${joining.id} joins; agent-0003 capacity halves`,
      moves: after.moves.map((m) => ({ ...m, load: round(smallLoad[m.partition] as number, 2) })),
      bars,
    },
  };
  await writeFileAtomic("bench/results/planner.json", `${JSON.stringify(results, null, 2)}\n`);
  await writeFileAtomic("bench/results/planner.md", renderPlannerReport(results));
  await writeFileAtomic("bench/results/planner-load.svg", svg);
  log(
    `scratch ${results.timing.scratchMedianMs} ms, incremental ${results.timing.incrementalNoChangeMedianMs} ms; dies ${results.scenarios.agentDies.moved}/${results.scenarios.agentDies.minimum}, joins ${results.scenarios.agentJoins.moved}/${results.scenarios.agentJoins.minimum}, halves ${results.scenarios.capacityHalves.moved}/${results.scenarios.capacityHalves.minimum}`,
  );
}

await main();
