import { useEffect, useMemo, useReducer, useState } from "preact/hooks";
import { fetchPlan } from "../api/endpoints.js";
import { applyMessage, emptyFleetState, type FleetState } from "./fleet-state.js";
import { type DashboardMessage, type FrameMessage, StreamClient, type StreamStatus } from "./stream-client.js";

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
    // The partitions' load (frames/s, lag, cost) comes as a `plan` message with every load sample of the coordinator.
    client.start();
    return () => {
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
