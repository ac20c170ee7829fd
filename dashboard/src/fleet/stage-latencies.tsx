import type { AgentHealth } from "../../../protocol/health.js";
import { num } from "../ui/format.js";

/** Per-stage latency percentiles of one agent's worker: "stage p50 / p95" in ms, total in bold. */
export function StageLatencies({ latencyMs }: { latencyMs: AgentHealth["latencyMs"] }) {
  const stages = Object.entries(latencyMs);
  if (stages.length === 0) return <p class="muted">No frames processed yet.</p>;
  return (
    <dl class="latency-grid" data-testid="latency">
      {stages.map(([stage, { p50, p95 }]) => (
        <div key={stage} class={stage === "total" ? "total" : undefined} title={`${stage}: p50 ${p50} ms, p95 ${p95} ms`}>
          <dt>{stage}</dt>
          <dd>
            <span class="visually-hidden">p50 </span>
            {num(p50)}
            <span aria-hidden="true"> / </span>
            <span class="visually-hidden"> p95 </span>
            {num(p95)}
          </dd>
        </div>
      ))}
    </dl>
  );
}
