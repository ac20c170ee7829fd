import { latestFrameUrl } from "../api/endpoints.js";
import { timeAgo } from "../ui/format.js";

/** One camera's newest annotated frame; `large` when it is the only one shown. */
export function CameraTile({
  camera,
  time,
  now,
  large = false,
  onOpen,
}: {
  camera: string;
  time: number | null;
  now: number;
  large?: boolean;
  onOpen?: () => void;
}) {
  const image =
    time === null ? (
      <div class="tile-empty">no frame yet</div>
    ) : (
      <img src={latestFrameUrl(camera, time)} alt={`Latest annotated frame of camera ${camera}`} decoding="async" />
    );
  return (
    <figure class={`tile ${large ? "tile-large" : ""}`} data-testid={`tile-${camera}`}>
      {onOpen ? (
        <button type="button" class="tile-open" onClick={onOpen} aria-label={`Show camera ${camera} large`}>
          {image}
        </button>
      ) : (
        image
      )}
      <figcaption>
        <span>{camera}</span>
        <span class="muted">{timeAgo(time, now)}</span>
      </figcaption>
    </figure>
  );
}
