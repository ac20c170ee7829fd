import type { AgentView, PlanView } from "../../../protocol/api.js";
import { useNow } from "../ui/use-now.js";
import { AgentCard } from "./agent-card.js";
import { FleetSummary } from "./fleet-summary.js";

/** One card per agent, live from the stream. */
export function FleetView({ agents, plan }: { agents: AgentView[]; plan: PlanView | null }) {
  const now = useNow();
  const loads = new Map((plan?.loads ?? []).map((load) => [load.partition, load]));
  return (
    <section aria-label="Fleet">
      <FleetSummary agents={agents} plan={plan} />
      {agents.length === 0 ? (
        <p class="empty">No agent has reported yet.</p>
      ) : (
        <div class="agent-grid">
          {agents.map((agent) => (
            <AgentCard key={agent.id} agent={agent} loads={loads} now={now} />
          ))}
        </div>
      )}
    </section>
  );
}
