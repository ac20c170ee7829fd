/** The shape of bench/results/pipeline.json. */
import type { machineDescription } from "../support/machine.js";

/** worker.framesInFlight: 1 = everything on the agent's main thread (the baseline), 2 = decode + detect on a thread of its own. */
export type FramesInFlight = 1 | 2;

export type Distribution = {
  n: number;
  p50: number | null;
  p95: number | null;
  p99: number | null;
  max: number | null;
  mean: number | null;
};

export type ProcessResult = {
  /** user+system CPU seconds / wall seconds over the measured window, in percent of one core. */
  cpuPercent: number | null;
  /** VmHWM at the end of the configuration (the process's whole life). */
  peakRssMiB: number | null;
  rssMiB: number | null;
};

export type AgentResult = ProcessResult & {
  id: string;
  pid: number;
  /** From the agent's "models: …" log line, e.g. "detector yunet-2023mar-dynamic on cpu, recognizer sface-2021dec-opt on cpu". */
  models: string | null;
  /** The frames in flight the agent says it runs with (1 when its detect thread could not start); null: no such line. */
  framesInFlightReported: number | null;
  partitions: number[];
  /** Detections this agent produced (Kafka timestamp) inside the measured window. */
  detectionsInWindow: number;
  /** From the agent's own `stopped:` stats line (whole life, warm-up and drain included). */
  framesIn: number | null;
  framesOut: number | null;
  staleSkipped: number | null;
  dlq: number | null;
  groupJoins: number;
  consumerCrashes: number;
  exitCode: number | null;
};

export type RunResult = {
  agents: number;
  cameras: number;
  /** worker.framesInFlight of every agent of the configuration. */
  framesInFlight: FramesInFlight;
  cameraIds: string[];
  /** Target: cameras × fps. */
  offeredFps: number;
  /** Frames acknowledged by the broker whose capture time is in the window, per second. */
  sentFps: number;
  /** Detection records produced (Kafka timestamp) inside the window, per second. */
  detectedFps: number;
  framesSentInWindow: number;
  framesDetectedInWindow: number;
  framesNotDetectedInWindow: number;
  framesSentTotal: number;
  framesDetectedTotal: number;
  duplicateDetections: number;
  /** Frames of this configuration's cameras the agents skipped as older than worker.maxFrameAgeMs (warm-up and drain included). */
  staleSkippedTotal: number;
  droppedAtCapture: number;
  lateTicks: number;
  sendErrors: number;
  /** Capture time → detection record produced, frames captured in the window. */
  latencyMs: Distribution;
  /** p50 latency of the frames captured in each second of the window. */
  latencyBySecondP50: (number | null)[];
  /** Mean of the last 3 seconds' p50 − mean of the first 3: clearly above 0 = the backlog grows. */
  latencyTrendMs: number | null;
  /** Capture time → detection received by the benchmark's consumer. */
  receivedLatencyMs: Distribution;
  /** The detection's own timings: waiting before processing (queue) and processing incl. annotate (total). */
  queueMs: Distribution;
  processingMs: Distribution;
  facesPerFrame: number | null;
  namedFacesInWindow: number;
  agentProcesses: AgentResult[];
  broker: ProcessResult;
  /** This benchmark process: the cameras' producer and the detections consumer. */
  driver: ProcessResult;
  /** All cores busy over the window (/proc/stat), in percent of one core (2 cores = 200). */
  machineCpuPercent: number;
  /** machineCpuPercent less the agents, the broker and the driver: other programs (and unattributed kernel work). */
  otherCpuPercent: number;
  /** 1, or 2-3 when earlier attempts were discarded because other programs used the CPU. */
  attempt: number;
  /** How long the benchmark waited for a quiet machine before this configuration. */
  quietWaitMs: number;
  joinMs: number;
  drained: boolean;
  drainMs: number;
  rebalancesInWindow: number;
};

export type PipelineResults = {
  generatedAt: string;
  command: string;
  machine: ReturnType<typeof machineDescription>;
  durationS: number;
  settings: Record<string, string | number>;
  goal: { cameras: number; fps: number; p95Ms: number };
  /** --note: a sentence on the run's conditions (e.g. the machine was busy when it began), shown under the heading. */
  note?: string;
  otherCpuLimitPercent: number;
  /** --attempts and --quiet-wait-s of the run (absent in older files: 3 and 90). */
  attemptsAllowed?: number;
  quietWaitS?: number;
  runs: RunResult[];
  /** Attempts measured again because other programs took more than otherCpuLimitPercent of CPU. */
  discarded: RunResult[];
};
