import type { ComponentChildren } from "preact";

/** Partitions the plan gives nobody (no live agent can take them): shown first, as a warning. */
export function UnassignedColumn({ children }: { children: ComponentChildren }) {
  return (
    <section class="board-column unassigned" aria-labelledby="column-unassigned" data-testid="column-unassigned">
      <header class="column-header">
        <div class="column-title">
          <h2 id="column-unassigned">Unassigned</h2>
          <span class="badge badge-offline">no owner</span>
        </div>
      </header>
      <ul class="chips">{children}</ul>
    </section>
  );
}
