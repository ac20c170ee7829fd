import { useMemo, useState } from "preact/hooks";
import type { UnknownAlert } from "../../../protocol/api.js";
import type { RecognitionEvent } from "../../../protocol/event.js";
import { EVENT_LIMIT } from "../stream/fleet-state.js";
import { AlertStrip } from "./alert-strip.js";
import { type EventFilter, EventFilters, noFilter } from "./event-filters.js";
import { EventRow } from "./event-row.js";

const sorted = (values: Iterable<string>) => [...new Set(values)].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));

/** Unknown-person alerts, then the live list of recognition events (newest first, the last EVENT_LIMIT), filterable. */
export function EventsView({ events, alerts = [] }: { events: RecognitionEvent[]; alerts?: UnknownAlert[] }) {
  const [filter, setFilter] = useState<EventFilter>(noFilter);
  const people = useMemo(() => sorted(events.map((event) => event.identity)), [events]);
  const cameras = useMemo(() => sorted(events.map((event) => event.camera)), [events]);
  const person = filter.person.trim().toLowerCase();
  const shown = events.filter(
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
        {shown.length} of {events.length} events (the last {EVENT_LIMIT} are kept)
      </p>
      {shown.length === 0 ? (
        <p class="empty">{events.length === 0 ? "No recognition events yet." : "No event matches the filter."}</p>
      ) : (
        <ol class="event-list plain">
          {shown.map((event) => (
            <EventRow key={`${event.camera}/${event.trackId}/${event.type}/${event.lastSeq}/${event.time}`} event={event} />
          ))}
        </ol>
      )}
    </section>
  );
}
