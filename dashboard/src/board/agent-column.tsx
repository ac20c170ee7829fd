import type { ComponentChildren } from "preact";
import type { AgentView } from "../../../protocol/api.js";
import { AgentStatusBadge } from "../fleet/agent-status-badge.js";
import { useCanOperate } from "../session/role.js";
import { num } from "../ui/format.js";
import { Meter } from "../ui/meter.js";
import { Spinner } from "../ui/spinner.js";

export interface AgentColumnProps {
  agent: AgentView;
  /** Sum of the frames/s of the partitions the plan gives it. */
  assignedFps: number;
  drainPending: boolean;
  onDrain(): void;
  onUndrain(): void;
  children: ComponentChildren;
}

/** One agent's column on the partition board: its status, load against capacity, Drain/Undrain (operators), its partitions. */
export function AgentColumn({ agent, assignedFps, drainPending, onDrain, onUndrain, children }: AgentColumnProps) {
  const capacity = agent.health?.capacityFps ?? 0;
  const canOperate = useCanOperate();
  return (
    <section
      class={`board-column ${agent.online ? "" : "offline"} ${agent.drained ? "drained" : ""}`}
      aria-labelledby={`column-${agent.id}`}
      data-testid={`column-${agent.id}`}
    >
      <header class="column-header">
        <div class="column-title">
          <h2 id={`column-${agent.id}`}>{agent.id}</h2>
          <AgentStatusBadge agent={agent} />
          {agent.drained && <span class="badge badge-drained">drained</span>}
        </div>
        {capacity > 0 ? (
          <Meter
            fraction={assignedFps / capacity}
            label={`${agent.id} load against capacity`}
            text={`${num(assignedFps)} / ${num(capacity)} fps`}
          />
        ) : (
          <span class="muted">{num(assignedFps)} fps · capacity unknown</span>
        )}
        {canOperate && (
          <div class="column-actions">
            {drainPending && <Spinner label={`Drain change for ${agent.id} pending`} />}
            {agent.drained ? (
              <button type="button" onClick={onUndrain} disabled={drainPending} data-testid={`undrain-${agent.id}`}>
                Undrain
              </button>
            ) : (
              <button type="button" onClick={onDrain} disabled={drainPending} data-testid={`drain-${agent.id}`}>
                Drain
              </button>
            )}
          </div>
        )}
      </header>
      {children}
    </section>
  );
}
