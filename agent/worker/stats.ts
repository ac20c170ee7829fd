/**
 * What the inference worker has done, for health reports (the coordinator's MQTT health reporter
 * reads `snapshot()`), the periodic log line and the agent's own /metrics (agent/metrics/). Counters only
 * grow; latencies are percentiles of a sliding window of the most recent frames (health) and, for /metrics,
 * counts in fixed buckets since the start (`stageSeconds`). Recording a frame allocates nothing per frame
 * but a camera's first counters.
 */
import { Histogram } from "../../core/metrics/histogram.js";
import { nearestRank } from "../../core/stats.js";

export const STAGES = ["queue", "decode", "detect", "align", "embed", "match", "track", "annotate", "produce", "total"] as const;
export type Stage = (typeof STAGES)[number];

export type DlqStage = "headers" | "decode" | "size" | "process";
export const DLQ_STAGES: readonly DlqStage[] = ["headers", "decode", "size", "process"];

/** The stages /metrics has a histogram of: every stage, and the attribute stage (only observed while some camera has it on). */
export const HISTOGRAM_STAGES = [...STAGES.slice(0, -1), "attributes", "total"] as const;
export type HistogramStage = (typeof HISTOGRAM_STAGES)[number];

/**
 * Bucket upper bounds (seconds) of the per-stage histograms: 1 ms (align, match, track of a small frame) to 30 s
 * (a queue behind a slow agent; frames older than worker.maxFrameAgeMs, 5 s by default, are skipped).
 */
export const STAGE_BOUNDS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] as const;

/** Cameras with counters of their own; frames of further cameras (a misbehaving producer) count under OTHER_CAMERAS. */
export const MAX_CAMERAS = 256;
export const OTHER_CAMERAS = "_other";

/** One camera's frames since the worker started: processed, faces detected in them, skipped as stale. */
export type CameraCounts = { processed: number; faces: number; stale: number };

export type StatsSnapshot = {
  agent: string;
  since: string;
  framesIn: number;
  framesOut: number;
  annotatedOut: number;
  eventsOut: number;
  skippedStale: number;
  skippedStaleByCamera: Record<string, number>;
  dlq: number;
  dlqByStage: Record<DlqStage, number>;
  galleryVersion: number;
  galleryIdentities: number;
  ownedPartitions: number[];
  /**
   * Faces aligned and embedded (`run`), and faces large enough to be named that were not because their track
   * was named (`skipped`: recognise once per track, agent/worker/recognise-once.ts).
   */
  embeddings: { run: number; skipped: number };
  /**
   * Per-face attributes (worker.attributes): faces estimated, the attribute time per frame of the recent frames
   * of cameras with attributes on (ms, p50 / p95 of the last `windowSize` such frames) and the mean per estimate
   * (all attribute time / estimates; null before the first); absent until such a frame was processed.
   */
  attributes?: { estimates: number; msPerFrame: { p50: number; p95: number }; msPerEstimate: number | null };
  /** Frames out per second over the last `rateWindowMs`. */
  fpsOut: number;
  /** Milliseconds, over the last `windowSize` frames. */
  latencyMs: Record<Stage, { p50: number; p95: number }>;
};

/** The most recent N samples of one stage, in a ring. */
class Window {
  private readonly samples: Float64Array;
  private next = 0;
  private count = 0;

  constructor(size: number) {
    this.samples = new Float64Array(size);
  }

  add(value: number): void {
    this.samples[this.next] = value;
    this.next = (this.next + 1) % this.samples.length;
    this.count = Math.min(this.count + 1, this.samples.length);
  }

  percentiles(): { p50: number; p95: number } {
    if (this.count === 0) return { p50: 0, p95: 0 };
    const sorted = Array.from(this.samples.subarray(0, this.count)).sort((a, b) => a - b);
    const at = (q: number) => nearestRank(sorted, q);
    const round = (v: number) => Math.round(v * 10) / 10;
    return { p50: round(at(0.5)), p95: round(at(0.95)) };
  }
}

export class WorkerStats {
  framesIn = 0;
  framesOut = 0;
  annotatedOut = 0;
  eventsOut = 0;
  skippedStale = 0;
  readonly skippedStaleByCamera = new Map<string, number>();
  dlq = 0;
  readonly dlqByStage: Record<DlqStage, number> = { headers: 0, decode: 0, size: 0, process: 0 };
  galleryVersion = 0;
  galleryIdentities = 0;
  ownedPartitions: number[] = [];
  embeddingsRun = 0;
  embeddingsSkipped = 0;
  /** Per owned partition: frames behind the last one processed (the fetched batch's high watermark − its offset − 1). */
  readonly lag = new Map<number, number>();
  /** Records taken from each partition of the frames topic (processed, stale or dead-lettered). */
  readonly framesInByPartition = new Map<number, number>();
  /** Per camera (at most MAX_CAMERAS, then OTHER_CAMERAS): frames processed, faces detected, stale frames skipped. */
  readonly cameras = new Map<string, CameraCounts>();
  /** Per stage, the time of every frame since the start (seconds, STAGE_BOUNDS_S): /metrics' histograms. */
  readonly stageSeconds: Readonly<Record<HistogramStage, Histogram>> = Object.fromEntries(
    HISTOGRAM_STAGES.map((s) => [s, new Histogram(STAGE_BOUNDS_S)]),
  ) as Record<HistogramStage, Histogram>;
  private readonly windows: Map<Stage, Window>;
  private readonly attributeWindow: Window;
  private readonly doneTimes: number[] = [];
  private readonly since = new Date();

  constructor(
    readonly agent: string,
    readonly windowSize = 1000,
    readonly rateWindowMs = 10_000,
  ) {
    this.windows = new Map(STAGES.map((s) => [s, new Window(windowSize)]));
    this.attributeWindow = new Window(windowSize);
  }

  /** A record taken from the frames topic (`partition`: where from, for /metrics). */
  frameIn(partition?: number): void {
    this.framesIn++;
    if (partition !== undefined) this.framesInByPartition.set(partition, (this.framesInByPartition.get(partition) ?? 0) + 1);
  }

  /** A camera's counters, made at its first frame (after MAX_CAMERAS cameras, the shared OTHER_CAMERAS ones). */
  private camera(camera: string): CameraCounts {
    let counts = this.cameras.get(camera);
    if (counts === undefined) {
      const key = this.cameras.size < MAX_CAMERAS ? camera : OTHER_CAMERAS;
      counts = this.cameras.get(key) ?? { processed: 0, faces: 0, stale: 0 };
      this.cameras.set(key, counts);
    }
    return counts;
  }

  /** A frame of `camera` processed (its outputs sent), with the faces its detector found. */
  processed(camera: string, faces: number): void {
    const counts = this.camera(camera);
    counts.processed++;
    counts.faces += faces;
  }

  /**
   * One frame done: its stage timings (`attributes` only for a camera with attributes on: Detection
   * timingsMs.attributes), whether it was annotated, how many events it made.
   */
  frameOut(timings: Partial<Record<Stage | "attributes", number>>, annotated: boolean, events: number, now = Date.now()): void {
    this.framesOut++;
    if (annotated) this.annotatedOut++;
    this.eventsOut += events;
    for (const stage of STAGES) {
      const ms = timings[stage];
      if (ms === undefined) continue;
      this.windows.get(stage)?.add(ms);
      this.stageSeconds[stage].observe(ms / 1000);
    }
    if (timings.attributes !== undefined) {
      this.stageSeconds.attributes.observe(timings.attributes / 1000);
      this.attributeFrames++;
      this.attributeMs += timings.attributes;
      this.attributeWindow.add(timings.attributes);
    }
    this.doneTimes.push(now);
    while (this.doneTimes.length > 0 && (this.doneTimes[0] as number) < now - this.rateWindowMs) this.doneTimes.shift();
  }

  /** One frame's embeddings: how many faces were embedded and how many skipped (ProcessedFrame.embeddings). */
  embedded(counts: { run: number; skipped: number }): void {
    this.embeddingsRun += counts.run;
    this.embeddingsSkipped += counts.skipped;
  }

  /** Faces whose attributes were estimated (ProcessedFrame.attributesRun). */
  attributesRun = 0;
  /** Frames of cameras with attributes on, and the attribute time they took in all (ms). */
  private attributeFrames = 0;
  private attributeMs = 0;

  eventsSent(count: number): void {
    this.eventsOut += count;
  }

  stale(camera: string): void {
    this.skippedStale++;
    this.camera(camera).stale++;
    this.skippedStaleByCamera.set(camera, (this.skippedStaleByCamera.get(camera) ?? 0) + 1);
  }

  deadLettered(stage: DlqStage): void {
    this.dlq++;
    this.dlqByStage[stage]++;
  }

  snapshot(now = Date.now()): StatsSnapshot {
    const recent = this.doneTimes.filter((t) => t >= now - this.rateWindowMs).length;
    const latencyMs = Object.fromEntries(STAGES.map((s) => [s, this.windows.get(s)?.percentiles() ?? { p50: 0, p95: 0 }])) as Record<
      Stage,
      { p50: number; p95: number }
    >;
    return {
      agent: this.agent,
      since: this.since.toISOString(),
      framesIn: this.framesIn,
      framesOut: this.framesOut,
      annotatedOut: this.annotatedOut,
      eventsOut: this.eventsOut,
      skippedStale: this.skippedStale,
      skippedStaleByCamera: Object.fromEntries(this.skippedStaleByCamera),
      dlq: this.dlq,
      dlqByStage: { ...this.dlqByStage },
      galleryVersion: this.galleryVersion,
      galleryIdentities: this.galleryIdentities,
      ownedPartitions: [...this.ownedPartitions],
      embeddings: { run: this.embeddingsRun, skipped: this.embeddingsSkipped },
      ...(this.attributeFrames > 0
        ? {
            attributes: {
              estimates: this.attributesRun,
              msPerFrame: this.attributeWindow.percentiles(),
              msPerEstimate: this.attributesRun > 0 ? Math.round((this.attributeMs / this.attributesRun) * 100) / 100 : null,
            },
          }
        : {}),
      fpsOut: Math.round((recent / (this.rateWindowMs / 1000)) * 10) / 10,
      latencyMs,
    };
  }

  /** One line for the log: `frames 120 in / 118 out, 2.0 fps, total p50 95 ms p95 140 ms, 1 stale, 1 dlq`. */
  summary(now = Date.now()): string {
    const s = this.snapshot(now);
    return [
      `frames ${s.framesIn} in / ${s.framesOut} out`,
      `${s.fpsOut} fps`,
      `total p50 ${s.latencyMs.total.p50} ms p95 ${s.latencyMs.total.p95} ms`,
      `queue p95 ${s.latencyMs.queue.p95} ms`,
      `${s.eventsOut} events`,
      `${s.embeddings.run} embeddings (${s.embeddings.skipped} skipped)`,
      ...(s.attributes
        ? [
            `${s.attributes.estimates} attribute estimates (p50 ${s.attributes.msPerFrame.p50} ms a frame${s.attributes.msPerEstimate === null ? "" : `, ${s.attributes.msPerEstimate} ms each`})`,
          ]
        : []),
      `${s.skippedStale} stale skipped`,
      `${s.dlq} to DLQ`,
      `gallery v${s.galleryVersion} (${s.galleryIdentities} identities)`,
      `partitions [${s.ownedPartitions.join(",")}]`,
    ].join(", ");
  }
}
