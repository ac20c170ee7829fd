import { useCanOperate } from "../session/role.js";
import type { StreamStatus } from "../stream/stream-client.js";
import { TABS, type TabId } from "./tabs.js";

const STATUS_TEXT: Record<StreamStatus, string> = { open: "Live", connecting: "Connecting…", down: "Disconnected" };

/** Name, view tabs, stream state, "viewer: read only" for a viewer's session, and the logout button. */
export function TopBar({
  tab,
  status,
  alerts = 0,
  onLogout,
}: {
  tab: TabId;
  status: StreamStatus;
  /** Unknown-person alerts streamed since the page opened (a count on the Alerts tab). */
  alerts?: number;
  onLogout(): void;
}) {
  const canOperate = useCanOperate();
  return (
    <header class="top-bar">
      <div class="brand">facefleet</div>
      <nav class="tabs" aria-label="Views">
        {TABS.map((item) => (
          <a
            key={item.id}
            href={`#/${item.id}`}
            class="tab"
            aria-current={item.id === tab ? "page" : undefined}
            data-testid={`tab-${item.id}`}
          >
            {item.label}
            {item.id === "alerts" && alerts > 0 && (
              <span class="tab-count" data-testid="alert-count">
                {alerts}
                <span class="visually-hidden"> new</span>
              </span>
            )}
          </a>
        ))}
      </nav>
      <div class="top-bar-end">
        {!canOperate && (
          <span
            class="badge read-only"
            data-testid="read-only"
            title="This session is a viewer's: moves, drains, enrollments, corrections and alert settings need an operator."
          >
            viewer: read only
          </span>
        )}
        <span class={`stream-state stream-${status}`} data-testid="stream-state" title="Live updates from the coordinator">
          <span class="dot" aria-hidden="true" />
          {STATUS_TEXT[status]}
        </span>
        <button type="button" onClick={onLogout} data-testid="logout">
          Log out
        </button>
      </div>
    </header>
  );
}
