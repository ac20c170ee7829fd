import { useState } from "preact/hooks";
import type { FaceCluster } from "../../../protocol/api-faces.js";
import { useCanOperate } from "../session/role.js";
import { FaceTile } from "./face-tile.js";

/** A cluster of unknown faces: its best crops (a click excludes one), cameras and times; an operator names or dismisses it. */
export function ClusterCard({
  cluster,
  busy,
  onName,
  onDismiss,
}: {
  cluster: FaceCluster;
  busy: boolean;
  onName: (name: string, exclude: string[]) => void;
  onDismiss: () => void;
}) {
  const [name, setName] = useState("");
  const canOperate = useCanOperate();
  const [excluded, setExcluded] = useState<ReadonlySet<string>>(new Set());
  const toggle = (id: string) =>
    setExcluded((current) => {
      const next = new Set(current);
      if (!next.delete(id)) next.add(id);
      return next;
    });
  const hidden = cluster.size - cluster.faces.length;
  return (
    <li class="card cluster-card" data-testid="cluster" data-id={cluster.id} data-size={cluster.size}>
      <div class="card-header">
        <strong>
          {cluster.size} face{cluster.size === 1 ? "" : "s"}
        </strong>
        <span class="muted">
          {new Date(cluster.firstSeen).toLocaleString()}
          {cluster.lastSeen !== cluster.firstSeen ? ` – ${new Date(cluster.lastSeen).toLocaleString()}` : ""}
        </span>
      </div>
      <p class="muted cluster-cameras" data-testid="cluster-cameras">
        {cluster.cameras.map((c) => `${c.camera} (${c.faces})`).join(", ")}
      </p>
      <ul class="plain face-grid compact">
        {cluster.faces.map((face) => (
          <li key={face.id}>
            {canOperate ? (
              <FaceTile face={face} excluded={excluded.has(face.id)} onToggle={() => toggle(face.id)} />
            ) : (
              <FaceTile face={face} />
            )}
          </li>
        ))}
        {hidden > 0 && <li class="muted cluster-more">+{hidden} more</li>}
      </ul>
      {canOperate && (
        <form
          class="cluster-actions"
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim() !== "") onName(name.trim(), [...excluded]);
          }}
        >
          <label class="field compact">
            Who is it?
            <input
              type="text"
              value={name}
              maxLength={200}
              placeholder="a person's name"
              disabled={busy}
              onInput={(e) => setName(e.currentTarget.value)}
              data-testid="cluster-name-input"
            />
          </label>
          <button type="submit" class="primary" disabled={busy || name.trim() === ""} data-testid="cluster-name-submit">
            Name {cluster.size - excluded.size} face{cluster.size - excluded.size === 1 ? "" : "s"}
          </button>
          <button type="button" disabled={busy} onClick={onDismiss} data-testid="cluster-dismiss">
            Dismiss
          </button>
        </form>
      )}
    </li>
  );
}
