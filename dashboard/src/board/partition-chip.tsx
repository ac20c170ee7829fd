import type { AgentView, PartitionLoadView } from "../../../protocol/api.js";
import { useCanOperate } from "../session/role.js";
import { num } from "../ui/format.js";
import { Spinner } from "../ui/spinner.js";
import { PartitionMenu } from "./partition-menu.js";

export interface PartitionChipProps {
  partition: number;
  owner: string | null;
  pinnedTo: string | null;
  /** The cameras the plan places on this partition. */
  cameras: string[];
  load: PartitionLoadView | undefined;
  pending: boolean;
  menuOpen: boolean;
  agents: AgentView[];
  onToggleMenu(): void;
  onMove(agent: string): void;
  onPin(agent: string): void;
  onUnpin(): void;
}

/** Frames behind before a partition's lag is shown as a warning. */
const LAG_WARN = 100;

/** One partition of facefleet.frames on the board: its load, pin, pending change and (operators) action menu. */
export function PartitionChip(props: PartitionChipProps) {
  const { partition, owner, pinnedTo, load, pending, menuOpen } = props;
  const lag = load?.lag ?? null;
  const canOperate = useCanOperate();
  return (
    <li
      class={`chip ${pinnedTo ? "pinned" : ""} ${pending ? "pending" : ""} ${menuOpen ? "open" : ""}`}
      data-testid={`partition-${partition}`}
      data-owner={owner ?? ""}
      data-pinned={pinnedTo ?? ""}
      aria-busy={pending}
    >
      <div class="chip-main">
        <span class="chip-name">P{partition}</span>
        {pinnedTo && (
          <span class="pin" title={`Pinned to ${pinnedTo}`} data-testid={`pinned-${partition}`}>
            pinned
            {pinnedTo !== owner ? ` → ${pinnedTo}` : <span class="visually-hidden"> to {pinnedTo}</span>}
          </span>
        )}
        {pending && <Spinner label={`Change to partition ${partition} pending`} />}
        {canOperate && (
          <button
            type="button"
            class="chip-menu-button"
            aria-haspopup="true"
            aria-expanded={menuOpen}
            aria-label={`Actions for partition ${partition}`}
            data-testid={`menu-${partition}`}
            onClick={props.onToggleMenu}
          >
            ⋯
          </button>
        )}
      </div>
      {props.cameras.length > 0 && (
        <div class="chip-cameras muted" data-testid={`cameras-${partition}`} title="cameras placed on this partition">
          {props.cameras.join(", ")}
        </div>
      )}
      <div class="chip-stats">
        <span title="frames per second in">{num(load?.fps)} fps</span>
        <span class={lag !== null && lag > LAG_WARN ? "warn-text" : undefined} title="consumer lag, frames">
          lag {lag ?? "–"}
        </span>
        <span title="processing cost per frame">{num(load?.costMsPerFrame)} ms</span>
      </div>
      {menuOpen && canOperate && (
        <PartitionMenu
          partition={partition}
          owner={owner}
          pinnedTo={pinnedTo}
          agents={props.agents}
          onMove={props.onMove}
          onPin={props.onPin}
          onUnpin={props.onUnpin}
          onClose={props.onToggleMenu}
        />
      )}
    </li>
  );
}
