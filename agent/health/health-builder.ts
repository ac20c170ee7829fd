import { type AgentHealth, agentHealthSchema, HEALTH_SCHEMA_VERSION } from "../../protocol/health.js";
import type { StatsSnapshot } from "../worker/stats.js";
import type { SystemSample } from "./system-probe.js";

/** A loaded model as the pipeline describes it; `precision` (fp32, fp16, int8) from its manifest entry. */
export type ModelDescription = { role: string; model: string; provider: string; sha256: string; precision?: string };

export type HealthInputs = {
  agentId: string;
  agentVersion: string;
  system: SystemSample;
  /** The inference worker's counters; absent for a capture-only agent. */
  stats?: StatsSnapshot;
  /** Frames per second taken in, measured between reports (FpsMeter). */
  fpsIn: number;
  /** The pipeline's describe(): model and execution provider per role. */
  models: ModelDescription[];
  /** The frames topic whose partitions `stats.ownedPartitions` are. */
  framesTopic: string;
  /** Consumer lag per owned partition where known. */
  lag?: ReadonlyMap<number, number>;
  drained: boolean;
  /** The cameras of the capture role (id, configured fps); none for an inference-only agent. */
  cameras?: readonly { id: string; fps: number }[];
  now?: number;
};

/** An execution provider that is not the CPU names the accelerator; a Jetson without one still has its GPU. */
export function acceleratorOf(models: ModelDescription[], jetson: boolean): string | null {
  const accelerated = models.map((m) => m.provider).find((p) => !/^cpu/i.test(p) && !/xnnpack/i.test(p));
  if (accelerated) return accelerated;
  return jetson ? "jetson-gpu" : null;
}

/**
 * Frames per second this agent has shown it can process: one frame's median processing time (the
 * `total` stage: decode to annotate, the queue wait not included), as the worker processes frames
 * one after another. 0 until it has processed a frame.
 */
export function capacityFpsOf(stats: StatsSnapshot | undefined): number {
  const processing = stats?.latencyMs.total.p50 ?? 0;
  return processing > 0 ? Math.round((1000 / processing) * 10) / 10 : 0;
}

/** An AgentHealth (protocol/health.ts) from a system sample and the worker's counters, validated. */
export function buildAgentHealth(input: HealthInputs): AgentHealth {
  const { system, stats } = input;
  const latencyMs: AgentHealth["latencyMs"] = {};
  if (stats)
    for (const [stage, p] of Object.entries(stats.latencyMs)) {
      // The attribute stage (only while some camera has attributes on) before the total, as the frame runs it.
      if (stage === "total" && stats.attributes) latencyMs.attributes = { ...stats.attributes.msPerFrame };
      latencyMs[stage] = { p50: p.p50, p95: p.p95 };
    }
  const health: AgentHealth = {
    schemaVersion: HEALTH_SCHEMA_VERSION,
    agentId: input.agentId,
    time: Math.round(input.now ?? Date.now()),
    agentVersion: input.agentVersion,
    device: { model: system.device.model, arch: system.device.arch, accelerator: acceleratorOf(input.models, system.device.jetson) },
    cpu: { loadPerCore: system.loadPerCore, temperatureC: system.cpuTemperatureC, throttled: system.throttled },
    gpu: system.gpu,
    memory: system.memory,
    disk: system.disk,
    models: input.models.map((m) => ({ role: m.role, model: m.model, provider: m.provider, sha256: m.sha256 })),
    fps: { in: Math.max(0, input.fpsIn), out: stats?.fpsOut ?? 0 },
    latencyMs,
    capacityFps: capacityFpsOf(stats),
    ...(stats ? { embeddings: { ...stats.embeddings } } : {}),
    ...(stats?.attributes ? { attributes: { ...stats.attributes, msPerFrame: { ...stats.attributes.msPerFrame } } } : {}),
    partitions: (stats?.ownedPartitions ?? []).map((partition) => ({
      topic: input.framesTopic,
      partition,
      lag: input.lag?.get(partition) ?? null,
    })),
    galleryVersion: stats ? stats.galleryVersion : null,
    drained: input.drained,
    cameras: (input.cameras ?? []).map((camera) => ({ id: camera.id, fps: camera.fps })),
    inference: input.stats !== undefined,
  };
  return agentHealthSchema.parse(health);
}

/** Frames per second from a growing counter, between one call and the next. */
export class FpsMeter {
  private last: { count: number; at: number } | undefined;

  rate(count: number, now = Date.now()): number {
    const previous = this.last;
    this.last = { count, at: now };
    if (!previous || now <= previous.at || count < previous.count) return 0;
    return Math.round(((count - previous.count) / ((now - previous.at) / 1000)) * 10) / 10;
  }
}
