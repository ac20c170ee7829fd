/**
 * Whether a new plan differs from the previous one (owners, pins, drained, camera placements: what agents act on), and
 * a short reason for the new version, from the moves and the operator's changes.
 */
import type { PartitionPlan } from "../../protocol/plan.js";
import { samePlacement } from "./place-cameras.js";
import type { MoveReason, PartitionMove } from "./types.js";

type Content = Pick<PartitionPlan, "owners" | "pins" | "drained" | "partitionCount"> & { cameras?: PartitionPlan["cameras"] };

function sameRecord(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => a[key] === b[key]);
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  const x = [...a].sort();
  const y = [...b].sort();
  return x.length === y.length && x.every((value, i) => value === y[i]);
}

export function planChanged(previous: Content | null | undefined, next: Content): boolean {
  if (!previous) return true;
  return (
    previous.partitionCount !== next.partitionCount ||
    !sameRecord(previous.owners, next.owners) ||
    !sameRecord(previous.pins ?? {}, next.pins) ||
    !sameList(previous.drained ?? [], next.drained) ||
    !samePlacement(previous.cameras ?? {}, next.cameras ?? {})
  );
}

const reasonText: Record<MoveReason, string> = {
  unassigned: "unowned partitions placed",
  "owner-lost": "agent lost",
  "owner-drained": "agent drained",
  pinned: "operator pin",
  overload: "overload",
  imbalance: "load imbalance",
};

export function planReason(previous: Content | null | undefined, next: Content, moves: readonly PartitionMove[]): string {
  if (!previous) return `initial plan: ${Object.keys(next.owners).length} partitions on ${new Set(Object.values(next.owners)).size} agents`;
  const parts: string[] = [];
  const byWhy = new Map<MoveReason, { count: number; from: Set<string> }>();
  for (const move of moves) {
    const entry = byWhy.get(move.why) ?? { count: 0, from: new Set<string>() };
    entry.count++;
    if (move.from !== null) entry.from.add(move.from);
    byWhy.set(move.why, entry);
  }
  for (const why of Object.keys(reasonText) as MoveReason[]) {
    const entry = byWhy.get(why);
    if (!entry) continue;
    const from = [...entry.from].sort();
    const fromText = from.length === 0 ? "" : from.length <= 3 ? ` from ${from.join(", ")}` : ` from ${from.length} agents`;
    parts.push(`${reasonText[why]}: ${entry.count} moved${fromText}`);
  }
  if (previous.partitionCount !== next.partitionCount) parts.push(`partitions ${previous.partitionCount} -> ${next.partitionCount}`);
  if (!sameRecord(previous.pins ?? {}, next.pins)) parts.push("pins changed");
  if (!sameList(previous.drained ?? [], next.drained)) parts.push("drained agents changed");
  const placedBefore = previous.cameras ?? {};
  const placedNow = next.cameras ?? {};
  const newlyPlaced = Object.keys(placedNow)
    .filter((camera) => placedBefore[camera] === undefined)
    .sort();
  const replaced = Object.keys(placedNow).filter(
    (camera) => placedBefore[camera] !== undefined && placedBefore[camera] !== placedNow[camera],
  );
  if (newlyPlaced.length > 0) parts.push(`cameras placed: ${newlyPlaced.map((c) => `${c} on ${placedNow[c]}`).join(", ")}`);
  if (replaced.length > 0) parts.push(`cameras moved: ${replaced.map((c) => `${c} to ${placedNow[c]}`).join(", ")}`);
  const released = Object.keys(placedBefore).filter((camera) => placedNow[camera] === undefined);
  if (released.length > 0) parts.push(`camera placements released: ${released.sort().join(", ")}`);
  return parts.length > 0 ? parts.join("; ") : "unchanged";
}
