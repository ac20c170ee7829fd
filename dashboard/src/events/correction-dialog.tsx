import { useEffect, useRef, useState } from "preact/hooks";
import type { CorrectionBody, CorrectionResult } from "../../../protocol/api-events.js";
import { correctEvent, fetchPeople } from "../api/endpoints.js";
import { describeError } from "../api/http.js";
import { useToast } from "../ui/toasts.js";
import type { ShownEvent } from "./shown-event.js";

type Mode = "not" | "is";

/** What the correction will do, in words, before it is sent. */
function consequence(event: ShownEvent, mode: Mode, name: string, people: string[] | null): string {
  const named = event.identity !== "Unknown" ? event.identity : null;
  if (mode === "not")
    return `This face is added to ${named}'s rejects in the gallery: the agents stop naming this face ${named}. ${named}'s enrolled photos stay.`;
  if (name === "") return "Pick an enrolled person or type a new name.";
  const exists = people?.includes(name) ?? false;
  const add = exists ? `This face is added to ${name}'s faces in the gallery` : `A new person "${name}" is created from this face`;
  const reject = named !== null && named !== name ? `, and to ${named}'s rejects (it is not ${named})` : "";
  return `${add}${reject}. The agents pick the change up within seconds.`;
}

/** "Correct…" of an event: "This is not <name>" or "This is …" (an enrolled person or a new name), confirmed, then POSTed. */
export function CorrectionDialog({
  event,
  onClose,
  onCorrected,
}: {
  event: ShownEvent | null;
  onClose(): void;
  onCorrected(result: CorrectionResult): void;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const toast = useToast();
  const named = event !== null && event.identity !== "Unknown";
  const [mode, setMode] = useState<Mode>("is");
  const [name, setName] = useState("");
  const [people, setPeople] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (event && !element.open) {
      setMode(event.identity !== "Unknown" ? "not" : "is");
      setName("");
      setBusy(false);
      element.showModal();
      fetchPeople()
        .then((list) => setPeople(list.people.map((person) => person.name).sort((a, b) => a.localeCompare(b))))
        .catch(() => setPeople([]));
    }
    if (!event && element.open) element.close();
  }, [event]);

  const trimmed = name.trim();
  const ready = event !== null && (mode === "not" ? named : trimmed !== "" && trimmed !== "Unknown");

  const submit = async () => {
    if (!event || !ready || busy) return;
    const body: CorrectionBody = mode === "not" ? { notIdentity: event.identity } : { identity: trimmed };
    setBusy(true);
    try {
      const result = await correctEvent(event.id, body);
      const changes = result.published.map((p) => `${p.name}: ${p.embeddings} faces, ${p.rejects} rejects`).join("; ");
      toast(`Corrected. ${changes} (gallery version ${result.galleryVersion}).`, "info");
      onCorrected(result);
      onClose();
    } catch (error) {
      toast(`Correction refused: ${describeError(error)}`);
      setBusy(false);
    }
  };

  return (
    <dialog
      ref={dialog}
      class="confirm-dialog correction-dialog"
      aria-labelledby="correction-title"
      onClose={onClose}
      data-testid="correction-dialog"
    >
      {event && (
        <form
          method="dialog"
          onSubmit={(e) => {
            e.preventDefault();
            void submit();
          }}
        >
          <h2 id="correction-title">Correct this recognition</h2>
          <div class="correction-event">
            {event.cropSrc ? (
              <img src={event.cropSrc} alt={`Face of ${event.identity}`} width={72} height={72} />
            ) : (
              <span class="event-nocrop correction-nocrop" aria-hidden="true" />
            )}
            <span>
              Named <strong>{event.identity}</strong> on <strong>{event.camera}</strong>
              <br />
              <span class="muted">{new Date(event.time).toLocaleString()}</span>
            </span>
          </div>
          <fieldset class="correction-choice">
            <legend class="visually-hidden">Correction</legend>
            {named && (
              <label class="check">
                <input
                  type="radio"
                  name="correction-mode"
                  checked={mode === "not"}
                  onChange={() => setMode("not")}
                  data-testid="correction-not"
                />
                This is not {event.identity}
              </label>
            )}
            <label class="check">
              <input
                type="radio"
                name="correction-mode"
                checked={mode === "is"}
                onChange={() => setMode("is")}
                data-testid="correction-is"
              />
              This is …
            </label>
            {mode === "is" && (
              <label class="field compact correction-name">
                Person (enrolled, or a new name)
                <input
                  type="text"
                  list="correction-people"
                  value={name}
                  placeholder={people && people.length > 0 ? people[0] : "name"}
                  maxLength={200}
                  onInput={(e) => setName(e.currentTarget.value)}
                  data-testid="correction-name"
                />
                <datalist id="correction-people">
                  {(people ?? []).map((person) => (
                    <option key={person} value={person} />
                  ))}
                </datalist>
              </label>
            )}
          </fieldset>
          <p class="correction-summary" data-testid="correction-summary">
            {consequence(event, mode, trimmed, people)}
          </p>
          <div class="dialog-actions">
            <button type="button" onClick={onClose} data-testid="correction-cancel">
              Cancel
            </button>
            <button type="submit" class="primary" disabled={!ready || busy} aria-busy={busy} data-testid="correction-submit">
              {busy ? "Correcting…" : "Apply correction"}
            </button>
          </div>
        </form>
      )}
    </dialog>
  );
}
