/**
 * The series of the agent's own GET /metrics (metrics-server.ts), written with the shared exposition writer
 * (core/metrics/exposition.ts) from what the agent counts anyway: the inference worker's counters and per-stage
 * histograms (agent/worker/stats.ts, counted where health counts them), the capture role's snapshot, the models
 * loaded, and the process. Read at scrape time only; the frame path does no more than its counter and bucket
 * increments. Every series has the `agent` label (for a Prometheus that federates several fleets); cameras,
 * partitions and stages are labels where natural. No person's name is in any series: the gallery's size is, never
 * who is in it, and detections are counted, not named. Names never repeat one of the coordinator's series
 * (coordinator/metrics/fleet-metrics.ts): the two jobs can be scraped into one Prometheus without double counting.
 */
import { performance } from "node:perf_hooks";
import { ExpositionWriter, type Sample } from "../../core/metrics/exposition.js";
import type { CaptureStatsSnapshot } from "../capture/capture-role.js";
import type { ModelDescription } from "../health/health-builder.js";
import { type CameraCounts, DLQ_STAGES, HISTOGRAM_STAGES, type WorkerStats } from "../worker/stats.js";

export { EXPOSITION_CONTENT_TYPE } from "../../core/metrics/exposition.js";

export type ProcessSample = {
  /** Unix time (s) the process started. */
  startTimeS: number;
  residentBytes: number;
  heapUsedBytes: number;
  /** User + system CPU time since the start (s). */
  cpuSeconds: number;
};

export type AgentMetricsInput = {
  agentId: string;
  agentVersion: string;
  /** The inference worker's counters; absent for a capture-only agent (or before the worker started). */
  stats?: WorkerStats;
  /** The capture role's counters; absent when no camera is captured here. */
  capture?: CaptureStatsSnapshot;
  /** What is loaded: detector, recognizer, attribute models (none before they are). */
  models: readonly ModelDescription[];
  process: ProcessSample;
};

/** This process, now. */
export function processSample(): ProcessSample {
  const cpu = process.cpuUsage();
  return {
    startTimeS: Math.round(performance.timeOrigin) / 1000,
    residentBytes: process.memoryUsage.rss(),
    heapUsedBytes: process.memoryUsage().heapUsed,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

/** A map's entries in key order (numbers as numbers). */
function byKey<K extends string | number, T>(map: ReadonlyMap<K, T>): [K, T][] {
  return [...map].sort(([a], [b]) => (typeof a === "number" && typeof b === "number" ? a - b : String(a).localeCompare(String(b))));
}

function writeWorker(w: ExpositionWriter, agent: string, stats: WorkerStats): void {
  const cameras = byKey(stats.cameras);
  const perCamera = (value: (c: CameraCounts) => number): Sample[] =>
    cameras.map(([camera, counts]) => ({ labels: { agent, camera }, value: value(counts) }));
  w.counter(
    "facefleet_agent_frames_received_total",
    "Records the inference worker took from its partitions of facefleet.frames (processed, skipped as stale or dead-lettered).",
    byKey(stats.framesInByPartition).map(([partition, value]) => ({ labels: { agent, partition: String(partition) }, value })),
  )
    .counter(
      "facefleet_agent_frames_processed_total",
      "Frames of the camera processed and their detection sent to facefleet.detections.",
      perCamera((c) => c.processed),
    )
    .counter(
      "facefleet_agent_faces_detected_total",
      "Faces the detector found in the camera's processed frames (large enough to be named or not).",
      perCamera((c) => c.faces),
    )
    .counter(
      "facefleet_agent_frames_stale_total",
      "Frames of the camera skipped unprocessed because they were older than worker.maxFrameAgeMs when their turn came.",
      perCamera((c) => c.stale),
    )
    .counter(
      "facefleet_agent_frames_dead_lettered_total",
      "Records sent to facefleet.dlq instead of being processed, by the check that refused them (headers, decode, size, process).",
      DLQ_STAGES.map((stage) => ({ labels: { agent, stage }, value: stats.dlqByStage[stage] })),
    )
    .histogram(
      "facefleet_agent_stage_seconds",
      "Time of each processed frame per stage (queue: capture to the worker taking it; decode, detect, align, embed, match, track, attributes while some camera has them on, annotate, produce; total: decode to annotate).",
      HISTOGRAM_STAGES.flatMap((stage) => {
        const histogram = stats.stageSeconds[stage];
        return stage === "attributes" && histogram.count === 0 ? [] : [histogram.sample({ agent, stage })];
      }),
    )
    .counter(
      "facefleet_agent_face_embeddings_total",
      "Faces large enough to be named: aligned and embedded (result run), or not because their track was already named (result skipped: recognise once per track).",
      [
        { labels: { agent, result: "run" }, value: stats.embeddingsRun },
        { labels: { agent, result: "skipped" }, value: stats.embeddingsSkipped },
      ],
    )
    .counter("facefleet_agent_events_sent_total", "Recognition events sent to facefleet.events.", [
      { labels: { agent }, value: stats.eventsOut },
    ])
    .counter("facefleet_agent_annotated_frames_total", "Annotated frames sent to facefleet.annotated.", [
      { labels: { agent }, value: stats.annotatedOut },
    ])
    .gauge("facefleet_agent_assigned_partitions", "Partitions of facefleet.frames the worker consumes now.", [
      { labels: { agent }, value: stats.ownedPartitions.length },
    ])
    .gauge(
      "facefleet_agent_partition_consumer_lag",
      "Frames behind the last one processed on the partition, when its batch was fetched (high watermark − offset − 1).",
      byKey(stats.lag).map(([partition, value]) => ({ labels: { agent, partition: String(partition) }, value })),
    )
    .gauge("facefleet_agent_gallery_identities", "People in the gallery the worker matches with (how many, never who).", [
      { labels: { agent }, value: stats.galleryIdentities },
    ]);
}

function writeCapture(w: ExpositionWriter, agent: string, capture: CaptureStatsSnapshot): void {
  const p = capture.producer;
  w.counter(
    "facefleet_agent_capture_frames_total",
    "Frames the capture role read from the camera's source.",
    Object.entries(capture.cameras)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([camera, c]) => ({ labels: { agent, camera }, value: c.captured })),
  )
    .counter("facefleet_agent_capture_sent_total", "Captured frames the broker acknowledged on facefleet.frames.", [
      { labels: { agent }, value: p.sent },
    ])
    .counter(
      "facefleet_agent_capture_dropped_total",
      "Captured frames dropped: pushed out of a full queue (capture.maxQueue), refused by the broker, or queued at stop.",
      [{ labels: { agent }, value: p.dropped }],
    )
    .counter("facefleet_agent_capture_send_failures_total", "Failed produce or connect attempts of the frame producer.", [
      { labels: { agent }, value: p.errors },
    ])
    .gauge("facefleet_agent_capture_queued_frames", "Captured frames waiting for the broker (queued and in flight).", [
      { labels: { agent }, value: p.queueDepth + p.inFlight },
    ]);
}

/** The exposition text (format 0.0.4) of the agent as the input has it. */
export function agentMetricsText(input: AgentMetricsInput): string {
  const agent = input.agentId;
  const w = new ExpositionWriter();
  w.gauge("facefleet_agent_build_info", "The agent's facefleet version (always 1).", [
    { labels: { agent, version: input.agentVersion }, value: 1 },
  ]).gauge(
    "facefleet_agent_model_info",
    "The models the agent loaded: role (detector, recognizer, attribute), model id, precision and onnxruntime execution provider (always 1).",
    input.models.map((m) => ({
      labels: { agent, role: m.role, model: m.model, precision: m.precision ?? "unknown", execution_provider: m.provider },
      value: 1,
    })),
  );
  if (input.stats) writeWorker(w, agent, input.stats);
  if (input.capture) writeCapture(w, agent, input.capture);
  const p = input.process;
  w.gauge("facefleet_agent_process_start_time_seconds", "When the agent's process started (Unix time).", [
    { labels: { agent }, value: p.startTimeS },
  ])
    .gauge("facefleet_agent_process_resident_memory_bytes", "Resident memory of the agent's process.", [
      { labels: { agent }, value: p.residentBytes },
    ])
    .gauge("facefleet_agent_process_heap_used_bytes", "JavaScript heap in use in the agent's process (V8).", [
      { labels: { agent }, value: p.heapUsedBytes },
    ])
    .counter("facefleet_agent_process_cpu_seconds_total", "CPU time (user and system) the agent's process has used.", [
      { labels: { agent }, value: p.cpuSeconds },
    ]);
  return w.text();
}
