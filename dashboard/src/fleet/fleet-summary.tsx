import type { AgentView, PlanView } from "../../../protocol/api.js";
import { num } from "../ui/format.js";

/** Headline numbers: agents online, frames/s in and out, total lag, plan version. */
export function FleetSummary({ agents, plan }: { agents: AgentView[]; plan: PlanView | null }) {
  const online = agents.filter((agent) => agent.online).length;
  const fpsIn = plan?.loads.reduce((sum, load) => sum + load.fps, 0) ?? 0;
  const fpsOut = agents.reduce((sum, agent) => sum + (agent.online ? (agent.health?.fps.out ?? 0) : 0), 0);
  const lag = plan?.loads.reduce((sum, load) => sum + (load.lag ?? 0), 0) ?? 0;
  return (
    <dl class="summary">
      <div>
        <dt>Agents online</dt>
        <dd data-testid="summary-online">
          {online} / {agents.length}
        </dd>
      </div>
      <div>
        <dt>Frames/s in</dt>
        <dd>{num(fpsIn)}</dd>
      </div>
      <div>
        <dt>Frames/s out</dt>
        <dd>{num(fpsOut)}</dd>
      </div>
      <div>
        <dt>Total lag</dt>
        <dd>{lag}</dd>
      </div>
      <div>
        <dt>Plan</dt>
        <dd title={plan?.plan?.reason}>{plan?.plan ? `v${plan.plan.version}` : "none"}</dd>
      </div>
    </dl>
  );
}
