import { useEffect, useRef } from "preact/hooks";
import type { AgentView } from "../../../protocol/api.js";

export interface PartitionMenuProps {
  partition: number;
  owner: string | null;
  pinnedTo: string | null;
  agents: AgentView[];
  onMove(agent: string): void;
  onPin(agent: string): void;
  onUnpin(): void;
  onClose(): void;
}

/** Why an agent cannot take a partition (the server would answer 409), or null when it can. */
function unavailable(agent: AgentView): string | null {
  if (!agent.online) return "offline";
  if (agent.drained) return "drained";
  return null;
}

/**
 * The actions on one partition: "Move to…" and "Pin to…" (native selects: choosing an agent sends the
 * request), "Unpin". Escape or a click elsewhere closes it.
 */
export function PartitionMenu({ partition, owner, pinnedTo, agents, onMove, onPin, onUnpin, onClose }: PartitionMenuProps) {
  const panel = useRef<HTMLFieldSetElement>(null);
  // The board re-renders on every stream message: keep the listeners (and the focus) from the first render.
  const close = useRef(onClose);
  close.current = onClose;
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") close.current();
    };
    const onPointer = (event: PointerEvent) => {
      const chip = panel.current?.closest(".chip");
      if (chip && event.target instanceof Node && !chip.contains(event.target)) close.current();
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onPointer);
    panel.current?.querySelector("select")?.focus();
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer);
    };
  }, []);

  const option = (agent: AgentView, current: string | null) => {
    const reason = unavailable(agent);
    return (
      <option key={agent.id} value={agent.id} disabled={reason !== null || agent.id === current}>
        {agent.id}
        {reason ? ` (${reason})` : agent.id === current ? " (current)" : ""}
      </option>
    );
  };

  return (
    <fieldset class="partition-menu" ref={panel}>
      <legend class="visually-hidden">Partition {partition} actions</legend>
      <label class="field compact">
        Move to…
        <select
          data-testid={`move-${partition}`}
          value=""
          onChange={(event) => {
            const agent = event.currentTarget.value;
            if (agent) onMove(agent);
          }}
        >
          <option value="" disabled>
            choose an agent
          </option>
          {agents.map((agent) => option(agent, owner))}
        </select>
      </label>
      <label class="field compact">
        Pin to…
        <select
          data-testid={`pin-${partition}`}
          value=""
          onChange={(event) => {
            const agent = event.currentTarget.value;
            if (agent) onPin(agent);
          }}
        >
          <option value="" disabled>
            choose an agent
          </option>
          {agents.map((agent) => option(agent, pinnedTo))}
        </select>
      </label>
      <button type="button" data-testid={`unpin-${partition}`} disabled={pinnedTo === null} onClick={onUnpin}>
        Unpin
      </button>
    </fieldset>
  );
}
