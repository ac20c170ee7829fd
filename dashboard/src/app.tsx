import { AlertsView } from "./alerts/alerts-view.js";
import { AuditView } from "./audit/audit-view.js";
import { PartitionBoard } from "./board/partition-board.js";
import { EventsView } from "./events/events-view.js";
import { ClustersView } from "./faces/clusters-view.js";
import { SearchView } from "./faces/search-view.js";
import { FleetView } from "./fleet/fleet-view.js";
import { LiveView } from "./live/live-view.js";
import { LoginPage } from "./login/login-page.js";
import { PeopleView } from "./people/people-view.js";
import { RoleContext } from "./session/role.js";
import { useSession } from "./session/use-session.js";
import { DisconnectedBanner } from "./shell/disconnected-banner.js";
import { useTab } from "./shell/tabs.js";
import { TopBar } from "./shell/top-bar.js";
import { useFleetStream } from "./stream/use-fleet-stream.js";
import { ToastProvider } from "./ui/toasts.js";

/** Login gate, then the tabbed dashboard fed by the live stream; the session's role (viewer: read only) for every view. */
export function App() {
  const session = useSession();
  const loggedIn = session.state === "logged-in";
  const { state, status, subscribeFrames } = useFleetStream(loggedIn);
  const tab = useTab();

  if (session.state === "checking") return <main class="splash muted">Connecting to the coordinator…</main>;
  if (session.state === "unreachable")
    return (
      <main class="splash">
        <p role="status">The coordinator cannot be reached. Retrying…</p>
      </main>
    );
  if (!loggedIn) return <LoginPage onLoggedIn={session.loggedIn} />;

  return (
    <RoleContext.Provider value={session.role}>
      <ToastProvider>
        <TopBar tab={tab} status={status} alerts={state.alerts.length} onLogout={() => void session.logOut()} />
        {status === "down" && <DisconnectedBanner />}
        <main class="content" id="main">
          {!state.loaded && tab !== "live" && tab !== "people" && tab !== "search" && tab !== "faces" && tab !== "audit" ? (
            <p class="empty muted">Waiting for the coordinator's snapshot…</p>
          ) : tab === "fleet" ? (
            <FleetView agents={state.agents} plan={state.plan} />
          ) : tab === "board" ? (
            <PartitionBoard agents={state.agents} plan={state.plan} />
          ) : tab === "events" ? (
            <EventsView events={state.events} alerts={state.alerts} />
          ) : tab === "alerts" ? (
            <AlertsView streamed={state.alerts} events={state.events} />
          ) : tab === "live" ? (
            <LiveView subscribeFrames={subscribeFrames} />
          ) : tab === "search" ? (
            <SearchView />
          ) : tab === "faces" ? (
            <ClustersView />
          ) : tab === "audit" ? (
            <AuditView gallery={state.gallery} />
          ) : (
            <PeopleView gallery={state.gallery} />
          )}
        </main>
      </ToastProvider>
    </RoleContext.Provider>
  );
}
