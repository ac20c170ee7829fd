import { z } from "zod";

export const HEALTH_SCHEMA_VERSION = 1;

const percentiles = z.object({ p50: z.number().nonnegative(), p95: z.number().nonnegative() });

/** `facefleet/agents/<id>/health`, every few seconds. Fields a device cannot measure are null. */
export const agentHealthSchema = z.object({
  schemaVersion: z.literal(HEALTH_SCHEMA_VERSION),
  agentId: z.string().min(1),
  time: z.number().int().positive(),
  agentVersion: z.string(),
  device: z.object({ model: z.string(), arch: z.string(), accelerator: z.string().nullable() }),
  cpu: z.object({
    loadPerCore: z.array(z.number().min(0)),
    temperatureC: z.number().nullable(),
    /** Raspberry Pi `vcgencmd get_throttled` (hex) or null */
    throttled: z.string().nullable(),
  }),
  gpu: z.object({ loadPercent: z.number().nullable(), temperatureC: z.number().nullable() }).nullable(),
  memory: z.object({ usedMiB: z.number().nonnegative(), totalMiB: z.number().positive() }),
  disk: z.object({ usedPercent: z.number().min(0).max(100) }).nullable(),
  models: z.array(z.object({ role: z.string(), model: z.string(), provider: z.string(), sha256: z.string() })),
  fps: z.object({ in: z.number().nonnegative(), out: z.number().nonnegative() }),
  latencyMs: z.record(z.string(), percentiles),
  /** Frames per second this agent has shown it can process (the planner's capacity). */
  capacityFps: z.number().nonnegative(),
  /**
   * Faces embedded since the worker started, and faces not embedded because their track was named (recognise
   * once per track, agent/worker/recognise-once.ts); absent for a capture-only agent and from older agents.
   */
  embeddings: z.object({ run: z.number().int().nonnegative(), skipped: z.number().int().nonnegative() }).optional(),
  /**
   * Per-face attributes (agent worker.attributes): faces estimated since the worker started, the attribute time
   * of the recent frames of cameras with attributes on (p50 / p95 ms per frame, as `latencyMs.attributes`) and the
   * mean ms per estimate; absent while no camera's frame has had attributes on, and from older agents.
   */
  attributes: z
    .object({
      estimates: z.number().int().nonnegative(),
      msPerFrame: percentiles,
      msPerEstimate: z.number().nonnegative().nullable(),
    })
    .optional(),
  partitions: z.array(z.object({ topic: z.string(), partition: z.number().int().nonnegative(), lag: z.number().int().nullable() })),
  galleryVersion: z.number().int().nonnegative().nullable(),
  /** The cameras this agent captures (its capture role), with their configured fps; the plan places each on a partition. */
  cameras: z
    .array(z.object({ id: z.string().min(1).max(128), fps: z.number().nonnegative() }))
    .max(256)
    .default([]),
  drained: z.boolean(),
  /** Whether the agent runs the inference role; a capture-only agent (false) is given no partitions. */
  inference: z.boolean().default(true),
});

export type AgentHealth = z.infer<typeof agentHealthSchema>;
