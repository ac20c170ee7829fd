/**
 * An in-memory CoordinatorControl for HTTP-layer tests of coordinator/api: agents and a plan held in a
 * plain object, changed for real by move/pin/unpin/drain/undrain, each change emitted as StreamMessages.
 */

import { ControlError, type CoordinatorControl, type LiveViewer } from "../../coordinator/control.js";
import { LiveViewers } from "../../coordinator/media/live-viewers.js";
import type { AgentView, PlanChangeResult, PlanView, StreamMessage } from "../../protocol/api.js";
import { type PartitionPlan, partitionsOf } from "../../protocol/plan.js";

export type FakeAgent = { id: string; online: boolean; drained?: boolean };

export class FakeControl implements CoordinatorControl {
  readonly listeners = new Set<(message: StreamMessage) => void>();
  private readonly agentState = new Map<string, { online: boolean; drained: boolean }>();
  private current: PartitionPlan;
  /** Make the next call throw this (for the 500 path). */
  failNext: Error | undefined;

  constructor(agents: FakeAgent[], partitionCount = 6) {
    for (const a of agents) this.agentState.set(a.id, { online: a.online, drained: a.drained ?? false });
    const owners: Record<string, string> = {};
    const live = agents.filter((a) => a.online && !a.drained).map((a) => a.id);
    for (let p = 0; p < partitionCount; p++) {
      const owner = live[p % live.length];
      if (owner !== undefined) owners[String(p)] = owner;
    }
    this.current = {
      schemaVersion: 1,
      version: 1,
      createdAt: 1_800_000_000_000,
      topic: "facefleet.frames",
      partitionCount,
      owners,
      pins: {},
      cameras: {},
      drained: agents.filter((a) => a.drained).map((a) => a.id),
      reason: "initial plan",
    };
  }

  agents(): AgentView[] {
    this.maybeFail();
    return [...this.agentState.keys()].map((id) => this.view(id));
  }

  agent(id: string): AgentView | undefined {
    return this.agentState.has(id) ? this.view(id) : undefined;
  }

  plan(): PlanView {
    return {
      plan: this.current,
      loads: Array.from({ length: this.current.partitionCount }, (_, partition) => ({ partition, fps: 10, lag: 0, costMsPerFrame: 20 })),
    };
  }

  async move(partition: number, agent: string): Promise<PlanChangeResult> {
    this.maybeFail();
    this.requirePartition(partition);
    this.requireUsable(agent);
    return this.publish({ owners: { ...this.current.owners, [String(partition)]: agent } }, `operator moved ${partition} to ${agent}`);
  }

  async pin(partition: number, agent: string): Promise<PlanChangeResult> {
    this.requirePartition(partition);
    this.requireUsable(agent);
    return this.publish(
      { owners: { ...this.current.owners, [String(partition)]: agent }, pins: { ...this.current.pins, [String(partition)]: agent } },
      `operator pinned ${partition} to ${agent}`,
    );
  }

  async unpin(partition: number): Promise<PlanChangeResult> {
    this.requirePartition(partition);
    const pins = { ...this.current.pins };
    delete pins[String(partition)];
    return this.publish({ pins }, `operator unpinned ${partition}`);
  }

  async drain(agent: string): Promise<PlanChangeResult> {
    const state = this.requireAgent(agent);
    state.drained = true;
    const others = [...this.agentState].filter(([id, s]) => id !== agent && s.online && !s.drained).map(([id]) => id);
    const owners: Record<string, string> = {};
    let next = 0;
    for (const [p, owner] of Object.entries(this.current.owners)) {
      const target = owner === agent ? others[next++ % Math.max(1, others.length)] : owner;
      if (target !== undefined) owners[p] = target;
    }
    const pins = Object.fromEntries(Object.entries(this.current.pins).filter(([, a]) => a !== agent));
    const result = this.publish({ owners, pins, drained: [...this.current.drained, agent] }, `operator drained ${agent}`);
    this.emit({ type: "agent", agent: this.view(agent) });
    return { ...result, ack: { ok: true, message: "drained" } };
  }

  async undrain(agent: string): Promise<PlanChangeResult> {
    const state = this.requireAgent(agent);
    state.drained = false;
    const result = this.publish({ drained: this.current.drained.filter((a) => a !== agent) }, `operator undrained ${agent}`);
    this.emit({ type: "agent", agent: this.view(agent) });
    return { ...result, ack: { ok: true, message: "undrained" } };
  }

  subscribe(listener: (message: StreamMessage) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The real registry of live-view viewers (what the stream's `watch` messages change). */
  readonly viewers = new LiveViewers();

  viewer(): LiveViewer {
    return this.viewers.join();
  }

  emit(message: StreamMessage): void {
    for (const listener of this.listeners) listener(message);
  }

  private publish(change: Partial<PartitionPlan>, reason: string): PlanChangeResult {
    this.current = { ...this.current, ...change, version: this.current.version + 1, createdAt: this.current.createdAt + 1000, reason };
    this.emit({ type: "plan", plan: this.plan() });
    return { plan: this.current };
  }

  private view(id: string): AgentView {
    const state = this.agentState.get(id);
    if (!state) throw new Error(`no agent ${id}`);
    return {
      id,
      online: state.online,
      status: state.online ? "online" : "offline",
      lastSeen: 1_800_000_000_000,
      drained: state.drained,
      partitions: partitionsOf(this.current, id),
      health: null,
    };
  }

  private maybeFail(): void {
    const error = this.failNext;
    this.failNext = undefined;
    if (error) throw error;
  }

  private requirePartition(partition: number): void {
    if (partition >= this.current.partitionCount) throw new ControlError("not-found", `no partition ${partition} in ${this.current.topic}`);
  }

  private requireAgent(agent: string): { online: boolean; drained: boolean } {
    const state = this.agentState.get(agent);
    if (!state) throw new ControlError("not-found", `no agent "${agent}"`);
    return state;
  }

  private requireUsable(agent: string): void {
    const state = this.requireAgent(agent);
    if (!state.online) throw new ControlError("conflict", `agent "${agent}" is offline`);
    if (state.drained) throw new ControlError("conflict", `agent "${agent}" is drained`);
  }
}
