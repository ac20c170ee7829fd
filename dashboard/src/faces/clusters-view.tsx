import { useCallback, useEffect, useState } from "preact/hooks";
import type { FaceClusterList } from "../../../protocol/api-faces.js";
import { dismissFaceCluster, fetchFaceClusters, nameFaceCluster } from "../api/endpoints.js";
import { describeError } from "../api/http.js";
import { useCanOperate } from "../session/role.js";
import { useToast } from "../ui/toasts.js";
import { ClusterCard } from "./cluster-card.js";

/**
 * Unknown faces in bulk: the coordinator's clusters of recent unknown faces (GET /api/faces/clusters), largest first.
 * Naming a cluster enrolls its best faces to that person (created if new); dismissing it takes it off the list.
 */
export function ClustersView() {
  const toast = useToast();
  const canOperate = useCanOperate();
  const [list, setList] = useState<FaceClusterList | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setList(await fetchFaceClusters());
      setError(null);
    } catch (e) {
      setError(describeError(e));
    }
  }, []);
  useEffect(() => {
    void load();
  }, [load]);

  const act = async (id: string, work: () => Promise<string>) => {
    setBusy(id);
    try {
      toast(await work(), "info");
    } catch (e) {
      toast(describeError(e));
    } finally {
      setBusy(null);
      await load();
    }
  };

  const days = list ? list.retentionHours / 24 : 0;
  return (
    <section aria-label="Unknown faces" class="clusters-view">
      <div class="panel clusters-header">
        <h2>Unknown faces</h2>
        <p class="muted" data-testid="clusters-summary">
          {list
            ? `${list.faces} unknown face${list.faces === 1 ? "" : "s"} of the last ${Number.isInteger(days) ? `${days} days` : `${list.retentionHours} hours`} in ${list.clusters.length} group${list.clusters.length === 1 ? "" : "s"} of the same person. Name a group to enroll its best faces; click a face that is someone else to leave it out.`
            : "Loading…"}
          {list && !canOperate && " Naming and dismissing need an operator."}
        </p>
        <button type="button" onClick={() => void load()} data-testid="clusters-reload">
          Reload
        </button>
      </div>
      {error && (
        <p class="error-text" role="alert">
          {error}
        </p>
      )}
      {list && list.clusters.length === 0 && <p class="empty muted">No unknown face to name.</p>}
      {list && list.clusters.length > 0 && (
        <ol class="plain cluster-list">
          {list.clusters.map((cluster) => (
            <ClusterCard
              key={cluster.id}
              cluster={cluster}
              busy={busy === cluster.id}
              onName={(name, exclude) =>
                void act(cluster.id, async () => {
                  const r = await nameFaceCluster(cluster.id, name, exclude);
                  return `${r.named} faces named ${r.name}; ${r.enrolled} enrolled (${r.embeddings} in all).`;
                })
              }
              onDismiss={() =>
                void act(cluster.id, async () => {
                  const r = await dismissFaceCluster(cluster.id);
                  return `${r.dismissed} faces dismissed.`;
                })
              }
            />
          ))}
        </ol>
      )}
    </section>
  );
}
