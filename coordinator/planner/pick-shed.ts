/**
 * The next partition an agent gives up to shed `remaining` load with the fewest moves and little
 * overshoot: the lightest partition that covers the remaining excess alone, or else the heaviest.
 * Repeated, that takes as many partitions as heaviest-first (the minimum count) but moves less load.
 * `fits(load)` says whether a receiver can take a partition of that load now; one that fits nowhere
 * is passed over, and so is one with no load (moving it sheds nothing).
 *
 * `candidates` are partition numbers sorted by load, heaviest first (ties by partition number).
 * Returns an index into `candidates`, or -1 when none can go.
 */
export function pickShed(
  candidates: readonly number[],
  loadOf: (partition: number) => number,
  remaining: number,
  fits: (load: number) => boolean,
): number {
  // Lightest candidate whose load still covers the remaining excess: binary search in descending order.
  let lo = 0;
  let hi = candidates.length; // ends at the first index whose load is below `remaining`
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (loadOf(candidates[mid] as number) >= remaining - 1e-9) lo = mid + 1;
    else hi = mid;
  }
  const start = lo > 0 ? lo - 1 : 0;
  // If that one fits nowhere, try lighter ones, then heavier ones (which cover too).
  for (let i = start; i < candidates.length; i++) if (usable(candidates[i] as number, loadOf, fits)) return i;
  for (let i = start - 1; i >= 0; i--) if (usable(candidates[i] as number, loadOf, fits)) return i;
  return -1;
}

function usable(partition: number, loadOf: (partition: number) => number, fits: (load: number) => boolean): boolean {
  const load = loadOf(partition);
  return load > 0 && fits(load);
}
