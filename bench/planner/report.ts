/** planner.md from the results of bench/planner/run.ts. */
import type { PlannerSettings } from "../../coordinator/planner/index.js";
import type { machineDescription } from "../support/machine.js";

export type ScenarioSummary = {
  trials: number;
  moved: number;
  minimum: number;
  ratio: number | null;
  worstTrialRatio: number | null;
  trialsAboveMinimum: number;
  movedLoad: number;
  minimumLoad: number;
  medianPlanMs: number;
  perTrial: { agent: string; moved: number; minimum: number; movedLoad: number; minimumLoad: number; ms: number }[];
};

export type PlannerBenchResults = {
  date: string;
  command: string;
  machine: ReturnType<typeof machineDescription>;
  fleet: { agents: number; partitions: number; utilisation: number; accelerators: number; capacityFps: { min: number; max: number } };
  goal: { planMs: number; movedOverMinimum: number };
  timing: Record<string, number>;
  scenarios: Record<string, ScenarioSummary>;
  minimumDefinition: string;
  settings: PlannerSettings;
  chart: { change: string; moves: unknown[] };
};

const labels: Record<string, string> = {
  agentDies: "one agent dies",
  agentJoins: "one agent joins",
  capacityHalves: "one agent's capacity halves",
};

export function renderPlannerReport(r: PlannerBenchResults): string {
  const t = r.timing;
  const timeMet = (t.scratchMedianMs ?? Infinity) < r.goal.planMs && (t.incrementalAgentDiesMedianMs ?? Infinity) < r.goal.planMs;
  const rows = Object.entries(r.scenarios).map(([key, s]) => {
    const met = s.ratio !== null && s.ratio <= r.goal.movedOverMinimum;
    return `| ${labels[key] ?? key} | ${s.trials} | ${s.moved} | ${s.minimum} | ${s.ratio ?? "—"} | ${s.worstTrialRatio ?? "—"} | ${s.movedLoad} / ${s.minimumLoad} | ${s.medianPlanMs} | ${met ? "met" : "**not met**"} |`;
  });
  const m = r.machine;
  return `# Planner at scale (simulated)

${r.fleet.agents.toLocaleString("en")} agents (${r.fleet.accelerators} with an accelerator, capacity ${r.fleet.capacityFps.min}–${r.fleet.capacityFps.max} fps) × ${r.fleet.partitions.toLocaleString("en")} partitions (1–15 fps, 20–80 ms per frame), fleet at ${Math.round(r.fleet.utilisation * 100)} % of its capacity. The planner runs in-process (coordinator/planner, pure); settings: imbalance threshold ${r.settings.imbalanceThreshold * 100} %, cooldown ${r.settings.cooldownMs / 1000} s (changes are planned past the cooldown).

## Plan time (median of ${t.runs} runs) — goal < ${r.goal.planMs} ms: ${timeMet ? "**met**" : "**not met**"}

| plan | ms |
|---|---|
| from scratch | ${t.scratchMedianMs} (max ${t.scratchMaxMs}) |
| incremental, nothing changed | ${t.incrementalNoChangeMedianMs} (${t.incrementalNoChangeMoves} moves) |
| incremental, one agent died | ${t.incrementalAgentDiesMedianMs} |
| incremental, one agent's capacity halved | ${t.incrementalCapacityHalvesMedianMs} |

An incremental plan that sheds load (overload or imbalance) also makes a plan from scratch to check that it moves no more than that would (plan-partitions.ts, step 5), hence the capacity-halved time ≈ incremental + from scratch.

## Partitions moved against the minimum — goal ≤ ${r.goal.movedOverMinimum}×

| change | trials | moved | minimum | moved / minimum | worst trial | load moved / minimum load | median plan ms | goal |
|---|---|---|---|---|---|---|---|---|
${rows.join("\n")}

Minimum: ${r.minimumDefinition}. Totals are over the trials (each from the same starting plan, a different agent each).

## Load per agent before and after a rebalance

![load per agent](planner-load.svg)

${r.chart.change}: ${r.chart.moves.length} partitions moved.

## Run

\`${r.command}\` on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), ${m.os}, Node ${m.node}, ${r.date}.
`;
}
