import { useEffect, useMemo, useReducer, useState } from "preact/hooks";
import type { CameraSelection } from "../../../protocol/api.js";
import { fetchPlan } from "../api/endpoints.js";
import { applyMessage, emptyFleetState, type FleetState } from "./fleet-state.js";
import { type DashboardMessage, type FrameMessage, StreamClient, type StreamStatus } from "./stream-client.js";

export type FrameListener = (frame: FrameMessage) => void;

export interface FleetStream {
  state: FleetState;
  status: StreamStatus;
  /**
   * The live view listens to `frame` messages without re-rendering the whole app for each, for the cameras it
   * shows (`all`, or some): the agents annotate a camera only while some dashboard watches it. The watch ends
   * with the returned unsubscribe.
   */
  subscribeFrames(listener: FrameListener, cameras: CameraSelection): () => void;
}

/** Opens /api/stream while `enabled` (i.e. logged in) and folds its messages into FleetState. */
export function useFleetStream(enabled: boolean): FleetStream {
  const [state, dispatch] = useReducer<FleetState, DashboardMessage | "reset">(
    (current, message) => (message === "reset" ? emptyFleetState : applyMessage(current, message)),
    emptyFleetState,
  );
  const [status, setStatus] = useState<StreamStatus>("connecting");
  const frameListeners = useMemo(() => new Set<FrameListener>(), []);
  // What the mounted live view watches, and the client to tell (null while logged out).
  const watch = useMemo(() => ({ cameras: [] as CameraSelection, client: null as StreamClient | null }), []);

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
    watch.client = client;
    client.watch(watch.cameras);
    client.start();
    return () => {
      watch.client = null;
      client.stop();
      dispatch("reset");
    };
  }, [enabled, frameListeners, watch]);

  const subscribeFrames = useMemo(
    () => (listener: FrameListener, cameras: CameraSelection) => {
      frameListeners.add(listener);
      watch.cameras = cameras;
      watch.client?.watch(cameras);
      return () => {
        frameListeners.delete(listener);
        if (frameListeners.size === 0) {
          watch.cameras = [];
          watch.client?.watch([]);
        }
      };
    },
    [frameListeners, watch],
  );

  return { state, status, subscribeFrames };
}
