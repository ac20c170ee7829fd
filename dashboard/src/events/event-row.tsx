import type { RecognitionEvent } from "../../../protocol/event.js";
import { clockTime } from "../ui/format.js";

const TYPE_TEXT: Record<RecognitionEvent["type"], string> = {
  person_seen: "seen",
  person_left: "left",
  unknown_person: "unknown",
  watchlist_hit: "watchlist",
};

function score(event: RecognitionEvent): string {
  if (event.distance !== undefined) return `distance ${event.distance.toFixed(2)}`;
  if (event.confidence !== undefined) return `confidence ${(event.confidence * 100).toFixed(0)}%`;
  return "";
}

/** One recognition event; watchlist hits stand out. */
export function EventRow({ event }: { event: RecognitionEvent }) {
  return (
    <li
      class={`event-row event-${event.type}`}
      data-testid="event"
      data-type={event.type}
      data-camera={event.camera}
      data-identity={event.identity}
    >
      <span class={`badge event-type type-${event.type}`}>{TYPE_TEXT[event.type]}</span>
      <span class="event-identity">{event.identity}</span>
      <span class="event-camera">
        <span class="visually-hidden">camera </span>
        {event.camera}
      </span>
      <time class="event-time" dateTime={new Date(event.time).toISOString()}>
        {clockTime(event.time)}
      </time>
      <span class="event-score muted">{score(event)}</span>
      <span class="event-agent muted">
        <span class="visually-hidden">agent </span>
        {event.agent}
      </span>
    </li>
  );
}
