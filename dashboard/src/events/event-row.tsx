import { useCanOperate } from "../session/role.js";
import { clockTime } from "../ui/format.js";
import type { EventCorrection, ShownEvent } from "./shown-event.js";

const TYPE_TEXT: Record<ShownEvent["type"], string> = {
  person_seen: "seen",
  person_left: "left",
  unknown_person: "unknown",
  watchlist_hit: "watchlist",
};

function score(event: ShownEvent): string {
  if (event.distance !== undefined) return `distance ${event.distance.toFixed(2)}`;
  if (event.confidence !== undefined) return `confidence ${(event.confidence * 100).toFixed(0)}%`;
  return "";
}

/** The track's attributes (worker.attributes), e.g. `happy · 43 · male`; empty without any. */
export function attributesText(event: ShownEvent): string {
  return Object.values(event.attributes ?? {})
    .map((a) => String(a.value))
    .join(" · ");
}

export function correctionText(correction: EventCorrection): string {
  if (correction.identity !== undefined && correction.notIdentity !== undefined)
    return `corrected: ${correction.identity}, not ${correction.notIdentity}`;
  if (correction.identity !== undefined) return `corrected: ${correction.identity}`;
  return `corrected: not ${correction.notIdentity ?? "?"}`;
}

/** One recognition event with its face crop; watchlist hits stand out; "Correct…" (operators) opens the correction dialog. */
export function EventRow({ event, onCorrect }: { event: ShownEvent; onCorrect(event: ShownEvent): void }) {
  const canOperate = useCanOperate();
  return (
    <li
      class={`event-row event-${event.type}${event.correction ? " event-corrected" : ""}`}
      data-testid="event"
      data-id={event.id}
      data-type={event.type}
      data-camera={event.camera}
      data-identity={event.identity}
      data-corrected={event.correction ? "true" : "false"}
    >
      {event.cropSrc ? (
        <img class="event-crop" src={event.cropSrc} alt={`Face of ${event.identity}`} width={44} height={44} loading="lazy" />
      ) : (
        <span class="event-crop event-nocrop" aria-hidden="true" />
      )}
      <span class={`badge event-type type-${event.type}`}>{TYPE_TEXT[event.type]}</span>
      <span class="event-identity">
        {event.identity}
        {event.correction && (
          <span class="badge corrected-badge" data-testid="corrected" title={`at ${clockTime(event.correction.time)}`}>
            {correctionText(event.correction)}
          </span>
        )}
      </span>
      <span class="event-camera">
        <span class="visually-hidden">camera </span>
        {event.camera}
      </span>
      <time class="event-time" dateTime={new Date(event.time).toISOString()}>
        {clockTime(event.time)}
      </time>
      <span class="event-score muted">
        {score(event)}
        {event.attributes && (
          <span
            class="event-attributes"
            data-testid="attributes"
            title={Object.entries(event.attributes)
              .map(([name, a]) => `${name} ${a.value} (${Math.round(a.confidence * 100)}%)`)
              .join(", ")}
          >
            {attributesText(event)}
          </span>
        )}
      </span>
      <span class="event-agent muted">
        <span class="visually-hidden">agent </span>
        {event.agent}
      </span>
      <span class="event-actions">
        {event.correctable && canOperate && (
          <button type="button" class="small" onClick={() => onCorrect(event)} data-testid="correct">
            Correct…
          </button>
        )}
      </span>
    </li>
  );
}
