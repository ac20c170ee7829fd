import type { UnknownAlert } from "../../../protocol/api.js";
import { clockTime } from "../ui/format.js";

/** Unknown-person alerts (cameras with alerts on), newest first, with the face crop when there is one. */
export function AlertStrip({ alerts }: { alerts: UnknownAlert[] }) {
  if (alerts.length === 0) return null;
  return (
    <section class="alerts" aria-label="Unknown-person alerts">
      <h2 class="alerts-title">Unknown-person alerts</h2>
      <ol class="plain alert-list">
        {alerts.map((alert) => (
          <li key={alert.id} class="alert-item" data-testid="alert" data-camera={alert.camera}>
            {alert.cropUrl ? (
              <img src={alert.cropUrl} alt={`Unknown face on ${alert.camera}`} width={56} height={56} loading="lazy" />
            ) : (
              <span class="alert-nocrop" aria-hidden="true">
                ?
              </span>
            )}
            <span class="alert-text">
              <strong>{alert.camera}</strong>
              <time class="muted" dateTime={new Date(alert.time).toISOString()}>
                {clockTime(alert.time)}
              </time>
            </span>
          </li>
        ))}
      </ol>
    </section>
  );
}
