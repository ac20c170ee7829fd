/**
 * A partition's load in the unit of agents' capacity (frames/s at the reference cost per frame):
 * fps × costMsPerFrame / referenceCostMs, plus lag / lagCatchUpSeconds when that is set. The
 * reference cost defaults to the fps-weighted mean of the reported costs, so the fleet's total load
 * equals its total fps and compares with capacityFps (measured on typical frames). A partition with
 * no measurement gets the mean load of the measured ones; when none is, every partition gets NOMINAL_LOAD.
 */
import type { PartitionLoad, PlannerSettings } from "./types.js";

/** The load of each partition when none is measured: small enough never to overload an agent. */
export const NOMINAL_LOAD = 0.001;

export function partitionLoads(
  partitionCount: number,
  loads: readonly PartitionLoad[],
  settings: Pick<PlannerSettings, "referenceCostMs" | "lagCatchUpSeconds">,
): Float64Array {
  const byPartition = new Map<number, PartitionLoad>();
  for (const load of loads) {
    if (Number.isInteger(load.partition) && load.partition >= 0 && load.partition < partitionCount) byPartition.set(load.partition, load);
  }
  let reference = settings.referenceCostMs;
  if (reference === undefined || !(reference > 0)) {
    let weighted = 0;
    let fps = 0;
    for (const load of byPartition.values()) {
      if (load.costMsPerFrame !== undefined && load.costMsPerFrame > 0 && load.fps > 0) {
        weighted += load.fps * load.costMsPerFrame;
        fps += load.fps;
      }
    }
    reference = fps > 0 ? weighted / fps : 1;
  }
  const catchUp = settings.lagCatchUpSeconds;
  const result = new Float64Array(partitionCount);
  let measuredSum = 0;
  for (const [partition, load] of byPartition) {
    const fps = Number.isFinite(load.fps) && load.fps > 0 ? load.fps : 0;
    const cost = load.costMsPerFrame !== undefined && load.costMsPerFrame > 0 ? load.costMsPerFrame : reference;
    let value = (fps * cost) / reference;
    if (catchUp !== undefined && catchUp > 0 && load.lag !== undefined && load.lag > 0) value += (load.lag / catchUp) * (cost / reference);
    result[partition] = value;
    measuredSum += value;
  }
  if (byPartition.size < partitionCount) {
    const fill = byPartition.size > 0 ? measuredSum / byPartition.size : 0;
    for (let p = 0; p < partitionCount; p++) if (!byPartition.has(p)) result[p] = fill;
  }
  // Nothing measured yet (no frames flowing, or a coordinator that just started): every partition gets
  // the same token load, so partitions still spread evenly by count instead of all staying put.
  if (result.every((value) => value === 0)) result.fill(NOMINAL_LOAD);
  return result;
}
