/**
 * The coordinator's event bus: how its features tell each other what happened, typed per event. A listener
 * that throws is logged and does not stop the others; listeners run in the order they subscribed.
 */
import type { AgentView, UnknownAlert } from "../protocol/api.js";
import type { RecognitionEvent } from "../protocol/event.js";
import type { AgentHealth } from "../protocol/health.js";

export type CoordinatorEvents = {
  /** Every feature has started (the start-up grace for the first plan decision counts from here). */
  started: Record<string, never>;
  /** An agent's MQTT status message (online / offline / drained, retained). */
  agentStatus: { agentId: string; payload: string };
  /** An agent's health report. */
  agentHealth: AgentHealth;
  /** Agents that came online or were lost since the last check. */
  liveness: { joined: string[]; lost: string[] };
  /** An agent's view changed (health, liveness, drain, owned partitions). */
  agentChanged: AgentView;
  /** A new plan version was published. */
  planPublished: { version: number };
  /** The load per partition was sampled again. */
  loadSampled: Record<string, never>;
  /** A recognition event from facefleet.events (with its embedding: strip it before it leaves the coordinator). */
  recognitionEvent: RecognitionEvent;
  /** A new annotated frame of a camera. */
  annotatedFrame: { camera: string; time: number };
  /** The gallery changed (enrollment, deletion, a correction). */
  galleryChanged: { version: number; identities: number };
  /** An unknown person on a camera whose unknown-person alerts are on. */
  alert: UnknownAlert;
};

type Listener<T> = (value: T) => void;

export class CoordinatorBus {
  private readonly listeners = new Map<keyof CoordinatorEvents, Set<Listener<never>>>();

  constructor(private readonly log: (line: string) => void) {}

  /** Subscribes; returns the unsubscribe function. */
  on<K extends keyof CoordinatorEvents>(event: K, listener: Listener<CoordinatorEvents[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener as Listener<never>);
    return () => set.delete(listener as Listener<never>);
  }

  emit<K extends keyof CoordinatorEvents>(event: K, value: CoordinatorEvents[K]): void {
    for (const listener of this.listeners.get(event) ?? []) {
      try {
        (listener as Listener<CoordinatorEvents[K]>)(value);
      } catch (error) {
        this.log(`${event} listener failed: ${(error as Error).message}`);
      }
    }
  }
}
