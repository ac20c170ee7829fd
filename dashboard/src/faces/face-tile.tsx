import type { StoredFace } from "../../../protocol/api-faces.js";

/** One kept face: its crop, camera and time (and, in a search, its distance); optionally a toggle. */
export function FaceTile({
  face,
  distance,
  excluded,
  onToggle,
}: {
  face: StoredFace;
  distance?: number;
  excluded?: boolean;
  onToggle?: () => void;
}) {
  const who = face.namedAs ?? face.identity;
  const crop = face.cropUrl ? (
    <img src={face.cropUrl} alt={`Face on ${face.camera}`} width={96} height={96} loading="lazy" />
  ) : (
    <span class="alert-nocrop" aria-hidden="true">
      ?
    </span>
  );
  return (
    <figure
      class={`face-tile${excluded ? " face-excluded" : ""}`}
      data-testid="face-tile"
      data-id={face.id}
      data-camera={face.camera}
      data-excluded={excluded ? "true" : "false"}
    >
      {onToggle ? (
        <button
          type="button"
          class="face-toggle"
          aria-pressed={excluded === true}
          title={excluded ? "Excluded: not this person (click to include)" : "Click if this is someone else"}
          onClick={onToggle}
          data-testid="face-toggle"
        >
          {crop}
        </button>
      ) : (
        crop
      )}
      <figcaption>
        <strong>{face.camera}</strong>
        <time class="muted" dateTime={new Date(face.time).toISOString()}>
          {new Date(face.time).toLocaleString()}
        </time>
        {distance !== undefined && <span class="muted">distance {distance.toFixed(3)}</span>}
        {who !== "Unknown" && <span class="badge">{who}</span>}
        {excluded && <span class="badge badge-warn">excluded</span>}
      </figcaption>
    </figure>
  );
}
