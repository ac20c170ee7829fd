import { useEffect, useState } from "preact/hooks";
import { fetchCameras } from "../api/endpoints.js";
import { describeError } from "../api/http.js";
import type { FleetStream } from "../stream/use-fleet-stream.js";
import { useNow } from "../ui/use-now.js";
import { CameraTile } from "./camera-tile.js";

/**
 * Live view: one tile per camera from GET /api/cameras (protocol/api-media.ts), refreshed on each `frame`
 * stream message; a click shows one camera large. While shown it watches its cameras (all, or the one shown large):
 * the agents annotate only cameras some dashboard watches, so a tile appears once its camera's first annotated
 * frame arrives.
 */
export function LiveView({ subscribeFrames }: { subscribeFrames: FleetStream["subscribeFrames"] }) {
  const [frames, setFrames] = useState<ReadonlyMap<string, number | null>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const now = useNow();

  useEffect(() => {
    let cancelled = false;
    fetchCameras()
      .then(({ cameras }) => {
        if (cancelled) return;
        setFrames((current) => {
          const next = new Map(current);
          for (const { camera, updatedAt } of cameras) if (!next.has(camera)) next.set(camera, updatedAt);
          return next;
        });
      })
      .catch((caught: unknown) => {
        if (!cancelled) setError(describeError(caught));
      });
    // The grid watches every camera; one camera shown large watches only that one.
    const unsubscribe = subscribeFrames(
      (frame) => setFrames((current) => new Map(current).set(frame.camera, frame.time)),
      selected === null ? "all" : [selected],
    );
    return () => {
      cancelled = true;
      unsubscribe();
    };
  }, [subscribeFrames, selected]);

  const cameras = [...frames.keys()].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));

  if (selected !== null) {
    return (
      <section aria-label={`Camera ${selected}`} class="live-single">
        <button type="button" onClick={() => setSelected(null)} data-testid="live-back">
          ← All cameras
        </button>
        <CameraTile camera={selected} time={frames.get(selected) ?? null} now={now} large />
      </section>
    );
  }
  return (
    <section aria-label="Live cameras">
      {error && (
        <p class="banner banner-warning" role="status">
          Camera list unavailable: {error}
        </p>
      )}
      {cameras.length === 0 && !error ? (
        <p class="empty">No annotated frame yet: the agents annotate the cameras watched here from their next frame.</p>
      ) : (
        <div class="tile-grid">
          {cameras.map((camera) => (
            <CameraTile key={camera} camera={camera} time={frames.get(camera) ?? null} now={now} onOpen={() => setSelected(camera)} />
          ))}
        </div>
      )}
    </section>
  );
}
