import type { EventView } from "../../../protocol/api-events.js";
import type { RecognitionEvent } from "../../../protocol/event.js";
import { eventId } from "./event-id.js";

export type EventCorrection = NonNullable<EventView["correction"]>;

/** An event as the Events view shows it: from GET /api/events or from the stream, whichever came first. */
export type ShownEvent = Omit<RecognitionEvent, "crop" | "embedding"> & {
  id: string;
  /** data: URL of the streamed crop, or the API's crop URL; null without a face crop. */
  cropSrc: string | null;
  /** The coordinator can correct it (it kept the face's embedding). */
  correctable: boolean;
  correction: EventCorrection | null;
};

export function fromStream(event: RecognitionEvent): ShownEvent {
  const { crop, embedding: _embedding, ...fields } = event;
  return {
    ...fields,
    id: eventId(event),
    cropSrc: crop ? `data:image/jpeg;base64,${crop}` : null,
    // The stream drops the embedding; the crop travels with it, so a crop means "correctable".
    correctable: crop !== undefined && event.type !== "person_left",
    correction: null,
  };
}

export function fromApi(view: EventView): ShownEvent {
  const { cropUrl, ...fields } = view;
  return { ...fields, cropSrc: cropUrl };
}

/**
 * The streamed events and those loaded from the API, one per id, newest first, at most `limit`;
 * corrections made from this page (`corrected`) win over what either said.
 */
export function mergeEvents(
  streamed: RecognitionEvent[],
  loaded: EventView[],
  corrected: ReadonlyMap<string, EventCorrection>,
  limit: number,
): ShownEvent[] {
  const byId = new Map<string, ShownEvent>();
  for (const view of loaded) byId.set(view.id, fromApi(view));
  for (const event of streamed) {
    const shown = fromStream(event);
    const known = byId.get(shown.id);
    // The API's copy knows about corrections; the stream's has the crop inline.
    byId.set(shown.id, known ? { ...known, cropSrc: shown.cropSrc ?? known.cropSrc } : shown);
  }
  const all = [...byId.values()].map((event) => {
    const correction = corrected.get(event.id);
    return correction ? { ...event, correction } : event;
  });
  all.sort((a, b) => b.time - a.time);
  return all.slice(0, limit);
}
