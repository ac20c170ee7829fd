/**
 * Camera placement: which partition of the frames topic each camera's frames go to. A capture
 * producer without a placement uses the key hash (murmur2 of the camera id), and two cameras whose
 * ids hash alike share a partition, and so an agent, however busy both are. With a placement in the
 * plan every camera gets a partition of its own while there are enough, and the load-aware planner
 * then balances cameras, not hash buckets. Pure and deterministic:
 *  1. a camera keeps its partition (placements are sticky: moving one splits its frames across two
 *     partitions for a moment), unless another reported camera was placed there first;
 *  2. a new camera takes its hash partition when no camera holds it (the frames it sent before the
 *     plan named it are already there), else the lowest free partition;
 *  3. with no free partition, the placement of a camera no longer reported is given up (lowest id
 *     first); when there is none either, the camera shares the partition with the fewest cameras.
 */

export type CameraPlacementInput = {
  /** Cameras reported by live agents now. */
  cameras: readonly string[];
  /** The previous plan's placements (camera -> partition), reported or not. */
  previous?: Readonly<Record<string, number>>;
  partitionCount: number;
  /** The partition the key hash gives a camera id (the capture producer's fallback). */
  hashPartition: (camera: string) => number;
};

export function placeCameras(input: CameraPlacementInput): Record<string, number> {
  const { partitionCount } = input;
  const reported = [...new Set(input.cameras)].sort();
  const reportedSet = new Set(reported);
  const placed = new Map<string, number>();
  const holders = new Map<number, string[]>();
  const hold = (camera: string, partition: number) => {
    placed.set(camera, partition);
    holders.set(partition, [...(holders.get(partition) ?? []), camera]);
  };
  const valid = (p: number | undefined): p is number => p !== undefined && Number.isInteger(p) && p >= 0 && p < partitionCount;

  // 1. Reported cameras keep their partitions; the first (by id) wins a partition two were placed on.
  const previous = Object.entries(input.previous ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [camera, partition] of previous) {
    if (reportedSet.has(camera) && valid(partition) && !holders.has(partition)) hold(camera, partition);
  }
  // Cameras not reported keep theirs while nobody else needs it (an agent restarting comes back to it).
  const idle = previous.filter(([camera, partition]) => !reportedSet.has(camera) && valid(partition) && !holders.has(partition));
  for (const [camera, partition] of idle) if (!holders.has(partition)) hold(camera, partition);

  // 2./3. New cameras (and those that lost a shared partition).
  const free = () => {
    for (let p = 0; p < partitionCount; p++) if (!holders.has(p)) return p;
    return undefined;
  };
  const release = (camera: string) => {
    const partition = placed.get(camera);
    if (partition === undefined) return;
    placed.delete(camera);
    const left = (holders.get(partition) ?? []).filter((c) => c !== camera);
    if (left.length > 0) holders.set(partition, left);
    else holders.delete(partition);
  };
  for (const camera of reported) {
    if (placed.has(camera)) continue;
    const hashed = input.hashPartition(camera);
    if (valid(hashed) && !holders.has(hashed)) {
      hold(camera, hashed);
      continue;
    }
    let partition = free();
    if (partition === undefined) {
      const unreported = [...placed.keys()].filter((c) => !reportedSet.has(c)).sort()[0];
      if (unreported !== undefined) {
        release(unreported);
        partition = free();
      }
    }
    if (partition === undefined) {
      let fewest = 0;
      for (let p = 1; p < partitionCount; p++) if ((holders.get(p)?.length ?? 0) < (holders.get(fewest)?.length ?? 0)) fewest = p;
      partition = fewest;
    }
    hold(camera, partition);
  }
  return Object.fromEntries([...placed.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Whether two placements are the same. */
export function samePlacement(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
}
