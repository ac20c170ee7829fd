import { useEffect, useMemo, useReducer, useState } from "preact/hooks";
import { fetchPlan } from "../api/endpoints.js";
import { applyMessage, emptyFleetState, type FleetState } from "./fleet-state.js";
import { type DashboardMessage, type FrameMessage, StreamClient, type StreamStatus } from "./stream-client.js";

/** How often the partitions' load is read again (GET /api/plan) while logged in. */
const LOAD_REFRESH_MS = 5000;

export type FrameListener = (frame: FrameMessage) => void;

export interface FleetStream {
  state: FleetState;
  status: StreamStatus;
  /** The live view listens to `frame` messages without re-rendering the whole app for each. */
  subscribeFrames(listener: FrameListener): () => void;
}

/** Opens /api/stream while `enabled` (i.e. logged in) and folds its messages into FleetState. */
export function useFleetStream(enabled: boolean): FleetStream {
  const [state, dispatch] = useReducer<FleetState, DashboardMessage | "reset">(
    (current, message) => (message === "reset" ? emptyFleetState : applyMessage(current, message)),
    emptyFleetState,
  );
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const frameListeners = useMemo(() => new Set<FrameListener>(), []);

  useEffect(() => {
    if (!enabled) return;
    const client = new StreamClient({
      onMessage(message) {
        if (message.type === "frame") for (const listener of frameListeners) listener(message);
        else dispatch(message);
      },
      onStatus: setStatus,
      beforeReconnect: async () => {
        await fetchPlan();
      },
    });
    client.start();
    // The stream sends the plan (with the partitions' load) only when a new version is published; the
    // load (frames/s, lag, cost) changes all the time, so it is read again every LOAD_REFRESH_MS.
    const loads = setInterval(() => {
      fetchPlan()
        .then((plan) => dispatch({ type: "plan", plan }))
        .catch(() => undefined);
    }, LOAD_REFRESH_MS);
    return () => {
      clearInterval(loads);
      client.stop();
      dispatch("reset");
    };
  }, [enabled, frameListeners]);

  const subscribeFrames = useMemo(
    () => (listener: FrameListener) => {
      frameListeners.add(listener);
      return () => {
        frameListeners.delete(listener);
      };
    },
    [frameListeners],
  );

  return { state, status, subscribeFrames };
}
