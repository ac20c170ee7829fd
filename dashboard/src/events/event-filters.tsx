export interface EventFilter {
  person: string;
  camera: string;
  watchlistOnly: boolean;
}

export const noFilter: EventFilter = { person: "", camera: "", watchlistOnly: false };

/** Person (free text, suggestions from what was seen), camera, watchlist only. */
export function EventFilters({
  filter,
  people,
  cameras,
  onChange,
}: {
  filter: EventFilter;
  people: string[];
  cameras: string[];
  onChange(filter: EventFilter): void;
}) {
  return (
    <form class="filters" aria-label="Filter events" onSubmit={(event) => event.preventDefault()}>
      <label class="field compact">
        Person
        <input
          type="search"
          list="event-people"
          value={filter.person}
          placeholder="any"
          onInput={(event) => onChange({ ...filter, person: event.currentTarget.value })}
          data-testid="filter-person"
        />
        <datalist id="event-people">
          {people.map((person) => (
            <option key={person} value={person} />
          ))}
        </datalist>
      </label>
      <label class="field compact">
        Camera
        <select
          value={filter.camera}
          onChange={(event) => onChange({ ...filter, camera: event.currentTarget.value })}
          data-testid="filter-camera"
        >
          <option value="">any</option>
          {cameras.map((camera) => (
            <option key={camera} value={camera}>
              {camera}
            </option>
          ))}
        </select>
      </label>
      <label class="check">
        <input
          type="checkbox"
          checked={filter.watchlistOnly}
          onChange={(event) => onChange({ ...filter, watchlistOnly: event.currentTarget.checked })}
          data-testid="filter-watchlist"
        />
        Watchlist hits only
      </label>
    </form>
  );
}
