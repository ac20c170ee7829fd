import { availableParallelism } from "node:os";

/**
 * onnxruntime threads per session for the agent: recognition.threads as configured, except that its default 0
 * (one per core) becomes half the cores (at least one) when two frames are in flight, because the detect thread
 * and the main thread then run their sessions at the same time. Measured on 2 cores: 2 threads per session on one
 * thread made 30 frames/s at 198 % CPU, 1 thread per stage on two threads 45 frames/s at 164 % (int8 SFace on the demo clip,
 * a prototype of the detect thread measured while it was written); bench/results/pipeline.md has the fleet figures.
 */
export function stageThreads(threads: number, framesInFlight: 1 | 2, cores = availableParallelism()): number {
  if (threads !== 0 || framesInFlight === 1) return threads;
  return Math.max(1, Math.floor(cores / 2));
}
