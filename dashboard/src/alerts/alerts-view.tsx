import { useEffect, useMemo, useState } from "preact/hooks";
import type { UnknownAlert } from "../../../protocol/api.js";
import type { UnknownAlertsView } from "../../../protocol/api-events.js";
import type { RecognitionEvent } from "../../../protocol/event.js";
import { fetchCameras, fetchUnknownAlerts, setUnknownAlerts } from "../api/endpoints.js";
import { describeError } from "../api/http.js";
import { useCanOperate } from "../session/role.js";
import { useToast } from "../ui/toasts.js";

const byName = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });

function retentionText(hours: number): string {
  if (hours >= 48 && hours % 24 === 0) return `${hours / 24} days`;
  return hours === 1 ? "1 hour" : `${hours} hours`;
}

/**
 * Unknown-person alerts: a toggle per camera (GET /api/cameras, the cameras GET /api/alerts/unknown knows, those
 * seen in events, or one typed in), and the alerts kept (GET /api/alerts/unknown, plus those streamed since the
 * page opened, marked "new"; the Events view shows these in its alert strip, the Alerts tab counts them). A viewer sees
 * the switches disabled and no "Another camera" form.
 */
export function AlertsView({ streamed, events }: { streamed: UnknownAlert[]; events: RecognitionEvent[] }) {
  const toast = useToast();
  const canOperate = useCanOperate();
  const [view, setView] = useState<UnknownAlertsView | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [liveCameras, setLiveCameras] = useState<string[]>([]);
  const [settings, setSettings] = useState<ReadonlyMap<string, boolean>>(new Map());
  const [pending, setPending] = useState<ReadonlySet<string>>(new Set());
  const [added, setAdded] = useState<string[]>([]);
  const [newCamera, setNewCamera] = useState("");

  useEffect(() => {
    let live = true;
    fetchUnknownAlerts()
      .then((answer) => {
        if (!live) return;
        setView(answer);
        setSettings(new Map(answer.cameras.map((c) => [c.camera, c.enabled])));
      })
      .catch((e) => live && setError(describeError(e)));
    fetchCameras()
      .then((list) => live && setLiveCameras(list.cameras.map((c) => c.camera)))
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);

  const cameras = useMemo(
    () => [...new Set([...settings.keys(), ...liveCameras, ...events.map((e) => e.camera), ...added])].sort(byName),
    [settings, liveCameras, events, added],
  );
  const fresh = useMemo(() => new Set(streamed.map((alert) => alert.id)), [streamed]);
  const alerts = useMemo(() => {
    const byId = new Map<string, UnknownAlert>();
    for (const alert of [...(view?.alerts ?? []), ...streamed]) byId.set(alert.id, alert);
    return [...byId.values()].sort((a, b) => b.time - a.time);
  }, [view, streamed]);

  const toggle = async (camera: string, enabled: boolean) => {
    setPending((current) => new Set(current).add(camera));
    try {
      const answer = await setUnknownAlerts(camera, enabled);
      setSettings((current) => new Map(current).set(answer.camera, answer.enabled));
      toast(`Unknown-person alerts ${answer.enabled ? "on" : "off"} for ${answer.camera}.`, "info");
    } catch (e) {
      toast(`Cannot change ${camera}'s alerts: ${describeError(e)}`);
    } finally {
      setPending((current) => {
        const next = new Set(current);
        next.delete(camera);
        return next;
      });
    }
  };

  return (
    <section aria-label="Unknown-person alerts" class="alerts-view">
      <div class="alerts-layout">
        <section class="panel alert-cameras" aria-labelledby="alert-cameras-title">
          <h2 id="alert-cameras-title">Alerts per camera</h2>
          <p class="muted alert-hint">
            An unknown face on a camera with alerts on raises an alert with its crop.{" "}
            <span data-testid="alert-retention">
              {view ? `Alerts and their crops are kept ${retentionText(view.retentionHours)}, then deleted.` : ""}
            </span>
          </p>
          {error && (
            <p class="error-text" role="alert">
              {error}
            </p>
          )}
          {cameras.length === 0 ? (
            <p class="empty muted">No camera known yet.</p>
          ) : (
            <ul class="plain camera-toggles">
              {cameras.map((camera) => {
                const on = settings.get(camera) ?? false;
                const busy = pending.has(camera);
                return (
                  <li key={camera} class="camera-toggle">
                    <label class="switch">
                      <input
                        type="checkbox"
                        role="switch"
                        aria-checked={on}
                        checked={on}
                        disabled={busy || view === null || !canOperate}
                        aria-busy={busy}
                        onChange={(e) => void toggle(camera, e.currentTarget.checked)}
                        data-testid={`alert-toggle-${camera}`}
                      />
                      <span class="switch-track" aria-hidden="true" />
                      <span class="camera-name">{camera}</span>
                    </label>
                    <span class={`badge ${on ? "alerts-on" : "alerts-off"}`}>{on ? "alerts on" : "off"}</span>
                  </li>
                );
              })}
            </ul>
          )}
          {canOperate && (
            <form
              class="add-camera"
              onSubmit={(e) => {
                e.preventDefault();
                const camera = newCamera.trim();
                if (camera === "") return;
                setAdded((current) => (current.includes(camera) ? current : [...current, camera]));
                setNewCamera("");
                if (!(settings.get(camera) ?? false)) void toggle(camera, true);
              }}
            >
              <label class="field compact">
                Another camera
                <input
                  type="text"
                  value={newCamera}
                  maxLength={128}
                  placeholder="camera id, not seen yet"
                  onInput={(e) => setNewCamera(e.currentTarget.value)}
                  data-testid="alert-camera-name"
                />
              </label>
              <button type="submit" disabled={newCamera.trim() === "" || view === null} data-testid="alert-camera-add">
                Turn alerts on
              </button>
            </form>
          )}
        </section>
        <section class="panel alert-history" aria-labelledby="alert-history-title">
          <h2 id="alert-history-title">Recent alerts</h2>
          {alerts.length === 0 ? (
            <p class="empty muted">{view ? "No unknown-person alert kept." : "Loading…"}</p>
          ) : (
            <ol class="plain alert-grid">
              {alerts.map((alert) => (
                <li
                  key={alert.id}
                  class={`alert-card${fresh.has(alert.id) ? " alert-new" : ""}`}
                  data-testid="alert-card"
                  data-camera={alert.camera}
                  data-new={fresh.has(alert.id) ? "true" : "false"}
                >
                  {alert.cropUrl ? (
                    <img src={alert.cropUrl} alt={`Unknown face on ${alert.camera}`} width={96} height={96} loading="lazy" />
                  ) : (
                    <span class="alert-nocrop" aria-hidden="true">
                      ?
                    </span>
                  )}
                  {fresh.has(alert.id) && <span class="badge">new</span>}
                  <strong>{alert.camera}</strong>
                  <time class="muted" dateTime={new Date(alert.time).toISOString()}>
                    {new Date(alert.time).toLocaleString()}
                  </time>
                  <span class="muted">{alert.agent}</span>
                </li>
              ))}
            </ol>
          )}
        </section>
      </div>
    </section>
  );
}
