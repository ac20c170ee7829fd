import { Worker } from "node:worker_threads";
import { DecodeError } from "./decode.js";
import type { DetectRequest, DetectThreadReply } from "./detect-thread-messages.js";
import type { DecodedDetection, FrameDetection } from "./frame-detection.js";
import type { RecognitionSettings } from "./recognition-settings.js";

type Pending = { bytes: Uint8Array; source: string | undefined; resolve: (d: DecodedDetection) => void; reject: (e: Error) => void };

/**
 * The thread's V8 young generation, MiB. Its garbage is small (message envelopes; the pixels and bytes are
 * transferred ArrayBuffers, outside the heap), so a small nursery costs no time and kept the agent's peak RSS
 * 13-23 MiB lower than V8's default when it was chosen (the demo clip with two frames in flight, in-process:
 * bench/agent-memory measures the agent's peak as it is).
 */
const DETECT_THREAD_YOUNG_GENERATION_MB = 4;

/**
 * Decode and detect on a thread of their own (detect-thread-entry.ts), with its own detector session: while the
 * caller's thread aligns and embeds one frame, the next one is decoded and detected (onnxruntime-node runs a
 * session on the thread that calls it, so two frames in flight on one thread would not overlap).
 * The frame's bytes are copied to the thread; the decoded pixels come back transferred.
 *
 * Should the thread die, the frames it held and every later one go to `fallback` (the caller's own pipeline),
 * with one log line: nothing is lost, the agent only loses the overlap.
 */
export class DetectThread implements FrameDetection {
  where = "detect thread";
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private broken = false;
  private closing = false;
  private ready = false;
  /** Settled by the thread's first message (its detector loaded, or why not) or by its end before that. */
  private loaded: { resolve: () => void; reject: (error: Error) => void } | undefined;

  private constructor(
    private readonly worker: Worker,
    private readonly fallback: FrameDetection,
    private readonly log: (line: string) => void,
  ) {
    worker.on("message", (reply: DetectThreadReply) => this.take(reply));
    worker.on("error", (error) => this.fail(`it threw ${error.message.split("\n")[0]}`));
    worker.on("exit", (code) => this.fail(`it exited with code ${code}`));
  }

  /** Starts the thread and waits until its detector is loaded; rejects with the thread's reason when it cannot load. */
  static async start(settings: RecognitionSettings, fallback: FrameDetection, log: (line: string) => void): Promise<DetectThread> {
    const worker = new Worker(new URL("./detect-thread-entry.js", import.meta.url), {
      workerData: settings,
      resourceLimits: { maxYoungGenerationSizeMb: DETECT_THREAD_YOUNG_GENERATION_MB },
    });
    worker.unref();
    const thread = new DetectThread(worker, fallback, log);
    try {
      await new Promise<void>((resolve, reject) => {
        thread.loaded = { resolve, reject };
      });
    } catch (error) {
      thread.closing = true;
      await worker.terminate();
      throw error;
    }
    return thread;
  }

  run(bytes: Uint8Array, source?: string): Promise<DecodedDetection> {
    if (this.broken) return this.fallback.run(bytes, source);
    return new Promise<DecodedDetection>((resolve, reject) => {
      const id = this.nextId++;
      this.pending.set(id, { bytes, source, resolve, reject });
      // A copy of just these bytes (a Kafka message's value is a view into a whole fetch response).
      const copy = new Uint8Array(bytes);
      const request: DetectRequest = { id, bytes: copy, ...(source === undefined ? {} : { source }) };
      this.worker.postMessage(request, [copy.buffer]);
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.worker.terminate();
    for (const p of this.pending.values()) p.reject(new Error("detect thread closed"));
    this.pending.clear();
  }

  private take(reply: DetectThreadReply): void {
    if (reply.kind === "ready") {
      this.where = `detect thread (${reply.model} on ${reply.provider})`;
      this.ready = true;
      this.loaded?.resolve();
      return;
    }
    if (reply.kind === "not-loaded") {
      this.loaded?.reject(new Error(`detect thread: ${reply.message}`));
      return;
    }
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if (reply.kind === "failed") waiting.reject(reply.name === "DecodeError" ? new DecodeError(reply.message) : new Error(reply.message));
    else waiting.resolve({ image: reply.image, faces: reply.faces, rejected: reply.rejected, timings: reply.timings });
  }

  private fail(reason: string): void {
    if (!this.ready) {
      this.loaded?.reject(new Error(`detect thread: ${reason} before its detector loaded`));
      return;
    }
    if (this.broken || this.closing) return;
    this.broken = true;
    this.log(`${this.where} stopped (${reason}): frames are decoded and detected on the main thread from now on`);
    for (const p of this.pending.values()) this.fallback.run(p.bytes, p.source).then(p.resolve, p.reject);
    this.pending.clear();
  }
}
