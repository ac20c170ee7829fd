import { useCallback, useEffect, useRef, useState } from "preact/hooks";
import type { PlanChangeResult } from "../../../protocol/api.js";
import { describeError } from "../api/http.js";
import { useToast } from "../ui/toasts.js";

/** A change the operator asked for, shown as a spinner until the plan carrying it arrives on the stream. */
interface Pending {
  /** The plan version the API said carries the change; null while the request is in flight. */
  waitFor: number | null;
  timer: ReturnType<typeof setTimeout>;
}

/** Give up on a spinner after this long (e.g. the stream is down); the board then shows whatever plan it has. */
const PENDING_TIMEOUT_MS = 30_000;

export type PendingKey = `partition:${number}` | `agent:${string}`;

/**
 * Runs move/pin/unpin/drain/undrain requests. No optimistic update: the board changes only when the
 * stream delivers a plan at least as new as the one the API answered with; until then `isPending(key)`.
 * Errors (404/409 message) go to a toast.
 */
export function usePlanActions(planVersion: number | null) {
  const toast = useToast();
  const [pending, setPending] = useState<ReadonlyMap<PendingKey, Pending>>(new Map());
  const versionRef = useRef(planVersion);
  versionRef.current = planVersion;

  const clear = useCallback((key: PendingKey) => {
    setPending((current) => {
      const entry = current.get(key);
      if (!entry) return current;
      clearTimeout(entry.timer);
      const next = new Map(current);
      next.delete(key);
      return next;
    });
  }, []);

  // A new plan from the stream settles every change it carries.
  useEffect(() => {
    if (planVersion === null) return;
    setPending((current) => {
      const settled = [...current].filter(([, entry]) => entry.waitFor !== null && entry.waitFor <= planVersion);
      if (settled.length === 0) return current;
      const next = new Map(current);
      for (const [key, entry] of settled) {
        clearTimeout(entry.timer);
        next.delete(key);
      }
      return next;
    });
  }, [planVersion]);

  const run = useCallback(
    async (key: PendingKey, action: () => Promise<PlanChangeResult>) => {
      const timer = setTimeout(() => clear(key), PENDING_TIMEOUT_MS);
      setPending((current) => new Map(current).set(key, { waitFor: null, timer }));
      try {
        const result = await action();
        if (result.ack && !result.ack.ok) toast(`Agent answered: ${result.ack.message}`, "info");
        const waitFor = result.plan.version;
        if (versionRef.current !== null && versionRef.current >= waitFor) clear(key);
        else
          setPending((current) => {
            const entry = current.get(key);
            return entry ? new Map(current).set(key, { ...entry, waitFor }) : current;
          });
      } catch (error) {
        clear(key);
        toast(describeError(error));
      }
    },
    [clear, toast],
  );

  const isPending = useCallback((key: PendingKey) => pending.has(key), [pending]);
  return { run, isPending };
}
