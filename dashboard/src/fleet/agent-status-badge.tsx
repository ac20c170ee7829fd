import type { AgentView } from "../../../protocol/api.js";

/** Online (green) / offline (red), spelled out, not only a colour. */
export function AgentStatusBadge({ agent }: { agent: AgentView }) {
  return (
    <span
      class={`badge ${agent.online ? "badge-online" : "badge-offline"}`}
      data-testid={`agent-status-${agent.id}`}
      data-status={agent.online ? "online" : "offline"}
    >
      {agent.online ? "online" : "offline"}
    </span>
  );
}
