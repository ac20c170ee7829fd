import { useCallback, useEffect, useState } from "preact/hooks";
import type { PersonView, PhotoRejection } from "../../../protocol/api-people.js";
import { createPerson, deletePerson, fetchPeople, forgetPerson, uploadPhoto } from "../api/endpoints.js";
import { describeError, HttpError } from "../api/http.js";
import { useCanOperate } from "../session/role.js";
import type { GalleryState } from "../stream/fleet-state.js";
import { ConfirmDialog, type ConfirmRequest } from "../ui/confirm-dialog.js";
import { Spinner } from "../ui/spinner.js";
import { useToast } from "../ui/toasts.js";
import { PersonRow, type PhotoResult } from "./person-row.js";
import { encodePhoto } from "./photo-encoding.js";

const REJECTION_TEXT: Record<PhotoRejection, string> = {
  "no-face": "Rejected: no face found in this photo.",
  "several-faces": "Rejected: more than one face and none clearly the main one — use a photo of this person alone.",
  "face-too-small": "Rejected: the face is too small — use a closer or larger photo.",
  "face-blurred": "Rejected: the face is blurred — use a sharper photo.",
  "face-turned": "Rejected: the face is turned away — use a photo looking at the camera.",
  "bad-image": "Rejected: not a readable JPEG, PNG or WebP picture.",
};

const isRejection = (error: string): error is PhotoRejection => Object.hasOwn(REJECTION_TEXT, error);

const byName = (a: PersonView, b: PersonView) => a.name.localeCompare(b.name, undefined, { numeric: true });

/** What the server said about one photo. */
async function sendPhoto(name: string, file: File): Promise<PhotoResult> {
  try {
    const { backgroundFaces } = await uploadPhoto(name, await encodePhoto(file));
    const ignored =
      backgroundFaces > 0 ? ` (${backgroundFaces} smaller face${backgroundFaces === 1 ? "" : "s"} in the background ignored)` : "";
    return { file: file.name, outcome: "accepted", text: `Enrolled${ignored}.` };
  } catch (error) {
    if (error instanceof HttpError && error.status === 422 && isRejection(error.error))
      return { file: file.name, outcome: "rejected", reason: error.error, text: REJECTION_TEXT[error.error] };
    const reason = error instanceof HttpError ? error.error : "error";
    return { file: file.name, outcome: "rejected", reason, text: `Not enrolled: ${describeError(error)}` };
  }
}

/**
 * People enrolled in the gallery: list, add a person, upload photos (each enrolls its one face, or the
 * clearly largest one; a refused photo says why), delete a person (confirmed); a viewer sees only the list. Refreshes
 * when the gallery changes.
 */
export function PeopleView({ gallery }: { gallery: GalleryState | null }) {
  const [people, setPeople] = useState<PersonView[] | null>(null);
  const [version, setVersion] = useState<number | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [creating, setCreating] = useState(false);
  const [busy, setBusy] = useState<ReadonlySet<string>>(new Set());
  const [results, setResults] = useState<ReadonlyMap<string, PhotoResult[]>>(new Map());
  const [confirm, setConfirm] = useState<ConfirmRequest | null>(null);
  const toast = useToast();
  const canOperate = useCanOperate();

  const reload = useCallback(async () => {
    try {
      const list = await fetchPeople();
      setPeople([...list.people].sort(byName));
      setVersion(list.version);
      setLoadError(null);
    } catch (error) {
      setLoadError(describeError(error));
    }
  }, []);

  // On open, and whenever the gallery changes (an upload here, or anyone else's).
  useEffect(() => {
    void reload();
  }, [reload, gallery?.version]);

  const setBusyFor = (person: string, on: boolean) =>
    setBusy((current) => {
      const next = new Set(current);
      if (on) next.add(person);
      else next.delete(person);
      return next;
    });

  const create = async (event: Event) => {
    event.preventDefault();
    const trimmed = name.trim();
    if (trimmed === "") return;
    setCreating(true);
    try {
      await createPerson(trimmed);
      setName("");
      await reload();
    } catch (error) {
      toast(describeError(error));
    } finally {
      setCreating(false);
    }
  };

  const upload = async (person: string, files: File[]) => {
    setBusyFor(person, true);
    const shown: PhotoResult[] = files.map((file) => ({ file: file.name, outcome: "uploading", text: "Uploading…" }));
    setResults((current) => new Map(current).set(person, [...shown]));
    for (const [index, file] of files.entries()) {
      shown[index] = await sendPhoto(person, file);
      setResults((current) => new Map(current).set(person, [...shown]));
    }
    await reload();
    setBusyFor(person, false);
  };

  const remove = async (person: string) => {
    setBusyFor(person, true);
    try {
      await deletePerson(person);
      setResults((current) => {
        const next = new Map(current);
        next.delete(person);
        return next;
      });
      await reload();
    } catch (error) {
      toast(describeError(error));
    } finally {
      setBusyFor(person, false);
    }
  };

  const forget = async (person: string) => {
    setBusyFor(person, true);
    try {
      const done = await forgetPerson(person);
      toast(
        `${person} forgotten: ${done.embeddings} embeddings, ${done.faces} kept faces, ${done.events} events, ${done.alerts} alerts deleted`,
        "info",
      );
      await reload();
    } catch (error) {
      toast(describeError(error));
    } finally {
      setBusyFor(person, false);
    }
  };

  return (
    <section aria-labelledby="people-title" class="people">
      <header class="people-header">
        <h2 id="people-title">People</h2>
        {(gallery || version !== null) && (
          <span class="muted" data-testid="gallery-version">
            gallery v{Math.max(gallery?.version ?? 0, version ?? 0)}
            {gallery && ` · ${gallery.identities} identities`}
          </span>
        )}
      </header>
      {canOperate && (
        <form class="card people-create" onSubmit={(event) => void create(event)}>
          <label class="field">
            Name
            <input
              type="text"
              value={name}
              maxLength={200}
              required
              autoComplete="off"
              placeholder="e.g. Ada Lovelace"
              onInput={(event) => setName(event.currentTarget.value)}
              data-testid="person-name"
            />
          </label>
          <button type="submit" class="primary" disabled={creating || name.trim() === ""} data-testid="person-create">
            Add person
          </button>
          <p class="muted people-hint">Then add photos: each must show this person's face, alone (JPEG, PNG or WebP).</p>
        </form>
      )}
      {loadError && (
        <p class="banner banner-warning" role="status" data-testid="people-error">
          People unavailable: {loadError}
        </p>
      )}
      {people === null ? (
        !loadError && (
          <p class="empty muted">
            <Spinner label="Loading people" /> Loading…
          </p>
        )
      ) : people.length === 0 ? (
        <p class="empty">Nobody is enrolled yet.</p>
      ) : (
        <ul class="plain people-list">
          {people.map((person) => (
            <PersonRow
              key={person.name}
              person={person}
              busy={busy.has(person.name)}
              results={results.get(person.name) ?? []}
              onPhotos={(files) => void upload(person.name, files)}
              onDelete={() =>
                setConfirm({
                  title: `Delete ${person.name}?`,
                  body: `${person.name} and their photos are removed from the gallery; the agents stop recognizing them.`,
                  confirmLabel: "Delete",
                  onConfirm: () => void remove(person.name),
                })
              }
              onForget={() =>
                setConfirm({
                  title: `Forget ${person.name} everywhere?`,
                  body: `${person.name} is removed from the gallery, and every face of them the coordinator keeps is deleted: photos and embeddings, the faces of past events named them, their recent events and crops, unknown-person alerts later named them. This cannot be undone; the audit log records it.`,
                  confirmLabel: "Forget",
                  onConfirm: () => void forget(person.name),
                })
              }
            />
          ))}
        </ul>
      )}
      <ConfirmDialog request={confirm} onClose={() => setConfirm(null)} />
    </section>
  );
}
