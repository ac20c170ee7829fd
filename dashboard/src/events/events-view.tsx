import { useEffect, useMemo, useState } from "preact/hooks";
import type { UnknownAlert } from "../../../protocol/api.js";
import type { EventView } from "../../../protocol/api-events.js";
import type { RecognitionEvent } from "../../../protocol/event.js";
import { fetchEvents } from "../api/endpoints.js";
import { describeError } from "../api/http.js";
import { EVENT_LIMIT } from "../stream/fleet-state.js";
import { AlertStrip } from "./alert-strip.js";
import { CorrectionDialog } from "./correction-dialog.js";
import { type EventFilter, EventFilters, noFilter } from "./event-filters.js";
import { EventRow } from "./event-row.js";
import { type EventCorrection, mergeEvents, type ShownEvent } from "./shown-event.js";

const sorted = (values: Iterable<string>) => [...new Set(values)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));

/**
 * Unknown-person alerts, then the recognition events (newest first, the last EVENT_LIMIT): the coordinator's
 * recent ones (GET /api/events, read when the view opens) and the live ones from the stream, filterable,
 * each correctable ("Correct…").
 */
export function EventsView({ events, alerts = [] }: { events: RecognitionEvent[]; alerts?: UnknownAlert[] }) {
  const [filter, setFilter] = useState<EventFilter>(noFilter);
  const [loaded, setLoaded] = useState<EventView[]>([]);
  const [loadState, setLoadState] = useState<"loading" | "done" | string>("loading");
  const [corrected, setCorrected] = useState<ReadonlyMap<string, EventCorrection>>(new Map());
  const [correcting, setCorrecting] = useState<ShownEvent | null>(null);

  useEffect(() => {
    let live = true;
    fetchEvents()
      .then((list) => {
        if (!live) return;
        setLoaded(list.events);
        setLoadState("done");
      })
      .catch((error) => live && setLoadState(describeError(error)));
    return () => {
      live = false;
    };
  }, []);

  const all = useMemo(() => mergeEvents(events, loaded, corrected, EVENT_LIMIT), [events, loaded, corrected]);
  const people = useMemo(() => sorted(all.map((event) => event.identity)), [all]);
  const cameras = useMemo(() => sorted(all.map((event) => event.camera)), [all]);
  const person = filter.person.trim().toLowerCase();
  const shown = all.filter(
    (event) =>
      (person === "" || event.identity.toLowerCase().includes(person)) &&
      (filter.camera === "" || event.camera === filter.camera) &&
      (!filter.watchlistOnly || event.type === "watchlist_hit"),
  );
  return (
    <section aria-label="Recognition events">
      <AlertStrip alerts={alerts} />
      <EventFilters filter={filter} people={people} cameras={cameras} onChange={setFilter} />
      <p class="muted" aria-live="polite">
        {shown.length} of {all.length} events (the last {EVENT_LIMIT} are kept)
        {loadState === "loading" ? " · loading recent events…" : loadState === "done" ? "" : ` · recent events not loaded: ${loadState}`}
      </p>
      {shown.length === 0 ? (
        <p class="empty">{all.length === 0 ? "No recognition events yet." : "No event matches the filter."}</p>
      ) : (
        <ol class="event-list plain">
          {shown.map((event) => (
            <EventRow key={event.id} event={event} onCorrect={setCorrecting} />
          ))}
        </ol>
      )}
      <CorrectionDialog
        event={correcting}
        onClose={() => setCorrecting(null)}
        onCorrected={(result) => {
          const correction = result.event.correction;
          if (correction) setCorrected((current) => new Map(current).set(result.event.id, correction));
        }}
      />
    </section>
  );
}
