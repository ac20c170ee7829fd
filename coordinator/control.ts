/**
 * What the coordinator's API (coordinator/api/) can ask of the running coordinator: the seam between
 * the HTTP layer and the registry / planner / MQTT. coordinator/coordinator.ts implements it.
 */
import type { AgentView, CameraSelection, PlanChangeResult, PlanView, StreamMessage } from "../protocol/api.js";

/** A refusal the API turns into a status code: not-found → 404, conflict → 409. */
export class ControlError extends Error {
  constructor(
    readonly kind: "not-found" | "conflict",
    message: string,
  ) {
    super(message);
    this.name = "ControlError";
  }
}

export interface CoordinatorControl {
  agents(): AgentView[];
  /** undefined: no such agent was ever seen. */
  agent(id: string): AgentView | undefined;
  plan(): PlanView;
  /**
   * Gives a partition to an agent once (it then stays there for the planner's cooldown).
   * not-found: no such partition or agent; conflict: agent offline or drained. Resolves once the plan is published.
   */
  move(partition: number, agent: string): Promise<PlanChangeResult>;
  /** Pins a partition to an agent (holds while it is alive). not-found / conflict as move. */
  pin(partition: number, agent: string): Promise<PlanChangeResult>;
  /** not-found: no such partition. Unpinning an unpinned partition is not an error. */
  unpin(partition: number): Promise<PlanChangeResult>;
  /** not-found: unknown agent. Resolves once the plan without it is published and the agent acked (or timed out). */
  drain(agent: string): Promise<PlanChangeResult>;
  undrain(agent: string): Promise<PlanChangeResult>;
  /** Live changes for the WebSocket stream; returns the unsubscribe function. */
  subscribe(listener: (message: StreamMessage) => void): () => void;
  /** A live-view viewer (one stream connection): the agents annotate the cameras some viewer watches. */
  viewer(): LiveViewer;
}

/** One viewer of the live view: `watch` replaces its selection; `leave` when its connection closes. */
export interface LiveViewer {
  watch(cameras: CameraSelection): void;
  leave(): void;
}
