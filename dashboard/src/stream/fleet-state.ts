import type { AgentView, PlanView, UnknownAlert } from "../../../protocol/api.js";
import type { RecognitionEvent } from "../../../protocol/event.js";
import type { DashboardMessage } from "./stream-client.js";

/** How many recognition events the dashboard keeps (newest first). */
export const EVENT_LIMIT = 500;
/** How many unknown-person alerts the dashboard keeps (newest first). */
export const ALERT_LIMIT = 50;

/** The gallery as the last `gallery` stream message described it. */
export interface GalleryState {
  version: number;
  identities: number;
}

export interface FleetState {
  /** False until the first snapshot (or REST answer) arrived. */
  loaded: boolean;
  agents: AgentView[];
  plan: PlanView | null;
  /** Newest first, at most EVENT_LIMIT. */
  events: RecognitionEvent[];
  /** Unknown-person alerts, newest first, at most ALERT_LIMIT. */
  alerts: UnknownAlert[];
  /** Null until a `gallery` message arrived (the snapshot does not carry it). */
  gallery: GalleryState | null;
}

export const emptyFleetState: FleetState = { loaded: false, agents: [], plan: null, events: [], alerts: [], gallery: null };

const byId = (a: AgentView, b: AgentView) => a.id.localeCompare(b.id, undefined, { numeric: true });

/** Applies one stream message (frames are not fleet state: the live view listens to them itself). */
export function applyMessage(state: FleetState, message: DashboardMessage): FleetState {
  switch (message.type) {
    case "snapshot":
      return { ...state, loaded: true, agents: [...message.agents].sort(byId), plan: message.plan };
    case "plan":
      // Plans only move forward; a late REST answer or a reordered message must not roll the board back.
      if (state.plan?.plan && message.plan.plan && message.plan.plan.version < state.plan.plan.version) return state;
      return { ...state, plan: message.plan };
    case "agent": {
      const others = state.agents.filter((agent) => agent.id !== message.agent.id);
      return { ...state, agents: [...others, message.agent].sort(byId) };
    }
    case "event":
      return { ...state, events: [message.event, ...state.events].slice(0, EVENT_LIMIT) };
    case "gallery":
      // Versions only move forward, as plans do.
      if (state.gallery && message.version < state.gallery.version) return state;
      return { ...state, gallery: { version: message.version, identities: message.identities } };
    case "alert":
      if (state.alerts.some((alert) => alert.id === message.alert.id)) return state;
      return { ...state, alerts: [message.alert, ...state.alerts].slice(0, ALERT_LIMIT) };
    case "frame":
      return state;
  }
}
