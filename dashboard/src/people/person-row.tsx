import type { PersonView } from "../../../protocol/api-people.js";
import { useCanOperate } from "../session/role.js";

/** The outcome of one uploaded photo, as shown under the person. */
export interface PhotoResult {
  file: string;
  outcome: "uploading" | "accepted" | "rejected";
  /** no-face / several-faces / another error kind; absent while uploading or when accepted. */
  reason?: string;
  text: string;
}

/** One enrolled person: name, photo count, "Add photos…" (file input), Delete and Forget (operators), the last uploads' outcomes. */
export function PersonRow({
  person,
  results,
  busy,
  onPhotos,
  onDelete,
  onForget,
}: {
  person: PersonView;
  results: PhotoResult[];
  busy: boolean;
  onPhotos(files: File[]): void;
  onDelete(): void;
  /** Forget everywhere: the gallery, kept faces, events, alerts (POST /api/people/:name/forget). */
  onForget(): void;
}) {
  const { name } = person;
  const canOperate = useCanOperate();
  return (
    <li class="card person" data-testid={`person-${name}`} data-photos={person.photos}>
      <div class="person-main">
        <span class="person-name">{name}</span>
        <span class="muted" data-testid={`photos-${name}`}>
          {person.photos} photo{person.photos === 1 ? "" : "s"}
          {!person.published && " · not sent to the agents until its first photo"}
        </span>
      </div>
      {canOperate && (
        <div class="person-actions">
          <label class={`button file-button ${busy ? "disabled" : ""}`}>
            Add photos…
            <input
              type="file"
              accept="image/jpeg,image/png,image/webp"
              multiple
              disabled={busy}
              class="visually-hidden"
              data-testid={`photo-input-${name}`}
              onChange={(event) => {
                const files = [...(event.currentTarget.files ?? [])];
                event.currentTarget.value = "";
                if (files.length > 0) onPhotos(files);
              }}
            />
          </label>
          <button type="button" onClick={onDelete} disabled={busy} data-testid={`delete-person-${name}`}>
            Delete
          </button>
          <button type="button" class="danger" onClick={onForget} disabled={busy} data-testid={`forget-person-${name}`}>
            Forget…
          </button>
        </div>
      )}
      {results.length > 0 && (
        <ul class="plain photo-results" aria-live="polite">
          {results.map((result, index) => (
            <li
              key={index}
              class={`photo-result photo-${result.outcome}`}
              data-testid="photo-result"
              data-outcome={result.outcome}
              data-reason={result.reason ?? ""}
            >
              <span class="photo-file">{result.file}</span> <span>{result.text}</span>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
