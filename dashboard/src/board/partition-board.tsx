import { useState } from "preact/hooks";
import type { AgentView, PartitionLoadView, PlanView } from "../../../protocol/api.js";
import { drainAgent, movePartition, pinPartition, undrainAgent, unpinPartition } from "../api/endpoints.js";
import { ConfirmDialog, type ConfirmRequest } from "../ui/confirm-dialog.js";
import { AgentColumn } from "./agent-column.js";
import { PartitionChip } from "./partition-chip.js";
import { UnassignedColumn } from "./unassigned-column.js";
import { usePlanActions } from "./use-plan-actions.js";

/** An agent the plan names that the coordinator has no view of (yet): drawn as an offline column. */
function placeholderAgent(id: string): AgentView {
  return { id, online: false, status: null, lastSeen: null, drained: false, partitions: [], health: null };
}

/**
 * Partitions × agents: one column per agent with its partitions as chips. Shows the plan as the stream
 * delivers it; the operator's moves, pins and drains appear when the next plan does.
 */
export function PartitionBoard({ agents, plan }: { agents: AgentView[]; plan: PlanView | null }) {
  const { run, isPending } = usePlanActions(plan?.plan?.version ?? null);
  const [openMenu, setOpenMenu] = useState<number | null>(null);
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);

  const current = plan?.plan ?? null;
  const loads = new Map<number, PartitionLoadView>((plan?.loads ?? []).map((load) => [load.partition, load]));
  const partitionCount = current?.partitionCount ?? Math.max(0, ...[...loads.keys()].map((p) => p + 1));
  const partitions = Array.from({ length: partitionCount }, (_, partition) => partition);
  const ownerOf = (partition: number) => current?.owners[String(partition)] ?? null;
  const pinOf = (partition: number) => current?.pins[String(partition)] ?? null;
  const camerasOf = (partition: number) =>
    Object.entries(current?.cameras ?? {})
      .filter(([, p]) => p === partition)
      .map(([camera]) => camera)
      .sort();

  const known = new Set(agents.map((agent) => agent.id));
  const columns = [...agents, ...[...new Set(Object.values(current?.owners ?? {}))].filter((id) => !known.has(id)).map(placeholderAgent)];
  const planDrained = current ? new Set(current.drained) : null;
  const unassigned = partitions.filter((partition) => ownerOf(partition) === null);

  const chip = (partition: number) => (
    <PartitionChip
      key={partition}
      partition={partition}
      owner={ownerOf(partition)}
      pinnedTo={pinOf(partition)}
      cameras={camerasOf(partition)}
      load={loads.get(partition)}
      pending={isPending(`partition:${partition}`)}
      menuOpen={openMenu === partition}
      agents={agents}
      onToggleMenu={() => setOpenMenu((open) => (open === partition ? null : partition))}
      onMove={(agent) => {
        setOpenMenu(null);
        void run(`partition:${partition}`, () => movePartition(partition, agent));
      }}
      onPin={(agent) => {
        setOpenMenu(null);
        void run(`partition:${partition}`, () => pinPartition(partition, agent));
      }}
      onUnpin={() => {
        setOpenMenu(null);
        void run(`partition:${partition}`, () => unpinPartition(partition));
      }}
    />
  );

  if (!current && partitions.length === 0)
    return <p class="empty">No partition plan yet: the coordinator publishes one once an agent is online.</p>;

  return (
    <section aria-label="Partition board">
      <p class="board-caption muted">
        {current ? (
          <>
            Plan v{current.version} · {current.topic} · {current.partitionCount} partitions ·{" "}
            <span title="why this plan">{current.reason}</span>
          </>
        ) : (
          "No plan yet."
        )}
      </p>
      <div class="board" data-testid="board">
        {unassigned.length > 0 && <UnassignedColumn>{unassigned.map(chip)}</UnassignedColumn>}
        {columns.map((agent) => {
          const drained = planDrained ? planDrained.has(agent.id) : agent.drained;
          const owned = partitions.filter((partition) => ownerOf(partition) === agent.id);
          const assignedFps = owned.reduce((sum, partition) => sum + (loads.get(partition)?.fps ?? 0), 0);
          return (
            <AgentColumn
              key={agent.id}
              agent={{ ...agent, drained }}
              assignedFps={assignedFps}
              drainPending={isPending(`agent:${agent.id}`)}
              onDrain={() =>
                setConfirm({
                  title: `Drain ${agent.id}?`,
                  body: `${agent.id} finishes the frames it has, commits, and hands its ${owned.length} partition(s) to other agents. It gets no work until you undrain it.`,
                  confirmLabel: "Drain",
                  onConfirm: () => void run(`agent:${agent.id}`, () => drainAgent(agent.id)),
                })
              }
              onUndrain={() =>
                setConfirm({
                  title: `Undrain ${agent.id}?`,
                  body: `The planner may give ${agent.id} partitions again.`,
                  confirmLabel: "Undrain",
                  onConfirm: () => void run(`agent:${agent.id}`, () => undrainAgent(agent.id)),
                })
              }
            >
              {owned.length === 0 ? <p class="muted column-empty">no partitions</p> : <ul class="chips">{owned.map(chip)}</ul>}
            </AgentColumn>
          );
        })}
      </div>
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
