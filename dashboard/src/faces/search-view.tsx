import { useState } from "preact/hooks";
import type { FaceSearchResult } from "../../../protocol/api-faces.js";
import { searchFaces } from "../api/endpoints.js";
import { describeError } from "../api/http.js";
import { encodePhoto } from "../people/photo-encoding.js";
import { FaceTile } from "./face-tile.js";

/**
 * Find a face: a photo uploaded (POST /api/faces/search) is embedded by the coordinator with the events' recognizer;
 * every kept face of past events that matches it is shown, nearest first, with its camera and time.
 */
export function SearchView() {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<FaceSearchResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [preview, setPreview] = useState<string | null>(null);

  const search = async (file: File) => {
    setBusy(true);
    setError(null);
    setResult(null);
    if (preview) URL.revokeObjectURL(preview);
    setPreview(URL.createObjectURL(file));
    try {
      setResult(await searchFaces(await encodePhoto(file)));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section aria-label="Find a face" class="search-view">
      <section class="panel search-form" aria-labelledby="search-title">
        <h2 id="search-title">Find a face</h2>
        <p class="muted">
          Upload a photo of someone: every face seen by the cameras within the retention that matches it is listed, nearest first.
        </p>
        <div class="search-input-row">
          <label class={`button file-button ${busy ? "disabled" : ""}`}>
            {busy ? "Searching…" : "Choose a photo…"}
            <input
              type="file"
              accept="image/jpeg,image/png,image/webp"
              disabled={busy}
              class="visually-hidden"
              data-testid="search-input"
              onChange={(event) => {
                const file = event.currentTarget.files?.[0];
                event.currentTarget.value = "";
                if (file) void search(file);
              }}
            />
          </label>
          {preview && <img class="search-preview" src={preview} alt="Searched for" height={96} />}
        </div>
        {error && (
          <p class="error-text" role="alert" data-testid="search-error">
            {error}
          </p>
        )}
        {result && (
          <p class="muted" data-testid="search-summary" data-matches={result.matches.length}>
            {result.matches.length === 0
              ? `No match among ${result.searched} kept faces.`
              : `${result.matches.length} match${result.matches.length === 1 ? "" : "es"} among ${result.searched} kept faces`}{" "}
            (cosine distance ≤ {result.maxDistance.toFixed(3)}, {result.model}
            {result.backgroundFaces > 0
              ? `; ${result.backgroundFaces} smaller face${result.backgroundFaces === 1 ? "" : "s"} in the photo ignored`
              : ""}
            ).
          </p>
        )}
      </section>
      {result && result.matches.length > 0 && (
        <ol class="plain face-grid" aria-label="Matches, nearest first" data-testid="search-results">
          {result.matches.map((match) => (
            <li key={match.id} data-testid="search-result" data-id={match.id} data-distance={match.distance}>
              <FaceTile face={match} distance={match.distance} />
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
