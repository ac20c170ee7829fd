import { useCallback, useEffect, useState } from "preact/hooks";
import type { AuditEntry, AuditList } from "../../../protocol/api-audit.js";
import { fetchAudit } from "../api/endpoints.js";
import { describeError } from "../api/http.js";
import type { GalleryState } from "../stream/fleet-state.js";

const ACTION_LABELS: Record<AuditEntry["action"], string> = {
  "person.create": "Person added",
  "person.enroll": "Photo enrolled",
  "person.delete": "Person deleted",
  "person.forget": "Person forgotten",
  "event.correct": "Event corrected",
  "cluster.name": "Faces named",
  "cluster.dismiss": "Faces dismissed",
};

/** One line of what an entry's details say, in words. */
function describe(entry: AuditEntry): string {
  const d = entry.details;
  switch (entry.action) {
    case "person.enroll":
      return `photo ${d.photos ?? "?"} of ${entry.subject}`;
    case "person.forget":
      return `${entry.subject}: ${d.embeddings ?? 0} embeddings, ${d.faces ?? 0} kept faces, ${d.events ?? 0} events, ${d.alerts ?? 0} alerts deleted`;
    case "event.correct":
      return `event ${entry.subject} (${d.camera ?? "?"}, "${d.named ?? "?"}")${d.identity ? ` is ${d.identity}` : ""}${d.notIdentity ? ` is not ${d.notIdentity}` : ""}`;
    case "cluster.name":
      return `${d.faces ?? "?"} faces named ${d.name ?? "?"} (${d.enrolled ?? 0} enrolled)`;
    case "cluster.dismiss":
      return `${d.faces ?? "?"} faces dismissed`;
    default:
      return entry.subject;
  }
}

/**
 * The audit log (GET /api/audit): who enrolled, corrected, named, dismissed and deleted what, and when, newest
 * first. Reloads when the gallery changes (most audited changes change it) and on Reload.
 */
export function AuditView({ gallery }: { gallery: GalleryState | null }) {
  const [list, setList] = useState<AuditList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const load = useCallback(async () => {
    try {
      setList(await fetchAudit());
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load, gallery?.version]);

  return (
    <section aria-labelledby="audit-title" class="audit-view">
      <div class="panel audit-header">
        <h2 id="audit-title">Audit log</h2>
        <p class="muted" data-testid="audit-summary">
          {list
            ? `${list.total} change${list.total === 1 ? "" : "s"} to who is recognised: enrollments, corrections, namings, deletions. Kept on the coordinator, never purged.`
            : "Loading…"}
        </p>
        <button type="button" onClick={() => void load()} data-testid="audit-reload">
          Reload
        </button>
      </div>
      {error && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
      {list && list.entries.length === 0 && <p class="empty">Nothing has been changed yet.</p>}
      {list && list.entries.length > 0 && (
        <table class="audit-table" data-testid="audit-table">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col">Details</th>
            </tr>
          </thead>
          <tbody>
            {list.entries.map((entry, index) => (
              <tr key={`${entry.time}-${index}`} data-testid="audit-entry" data-action={entry.action} data-subject={entry.subject}>
                <td>
                  <time dateTime={new Date(entry.time).toISOString()}>
                    {new Date(entry.time).toLocaleString(undefined, { hour12: false })}
                  </time>
                </td>
                <td class="audit-actor">{entry.actor}</td>
                <td>
                  <span class={`audit-action audit-${entry.action.split(".")[1]}`}>{ACTION_LABELS[entry.action]}</span>
                </td>
                <td class="audit-details">{describe(entry)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
