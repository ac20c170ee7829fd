/**
 * The capture role of `facefleet agent`: every camera of `roles.capture` runs its own capture loop
 * (capture-loop.ts) into ONE FrameProducer that the agent's cameras share (newest-wins queue,
 * reconnects on its own). A camera whose source fails is logged and opened again after a backoff;
 * one whose source ends (a file without `loop`) is done. stop() ends the sources, flushes the
 * producer (up to `flushTimeoutMs`) and writes each camera's clean sequence state.
 * Each camera's frames go to the partition the coordinator's plan places it on (`cameras` of the
 * plan, followed from facefleet.plan); until a plan names the camera, the key hash decides.
 */
import { resolve } from "node:path";
import type { Kafka } from "kafkajs";
import { topics } from "../../protocol/topics.js";
import type { CaptureSettings, CaptureSource } from "../config.js";
import { PlanFollower, type PlanSource } from "../plan/plan-follower.js";
import { abortableSleep } from "./abortable-sleep.js";
import { CameraCapture, type CameraSpec } from "./capture-loop.js";
import { FrameProducer, type FrameProducerStats } from "./frame-producer.js";
import type { SourceKind } from "./frame-source.js";

export type CameraState = "running" | "restarting" | "ended" | "stopped";

export type CaptureStatsSnapshot = {
  /** The shared producer's counters: sent, dropped, errors, queueDepth, inFlight, connected, reconnects, lastError. */
  producer: FrameProducerStats;
  cameras: Record<
    string,
    {
      kind: SourceKind;
      source: string;
      fps: number;
      captured: number;
      nextSeq: number;
      state: CameraState;
      failures: number;
      lastError?: string;
    }
  >;
};

export type CaptureRoleOptions = {
  kafka: Kafka;
  agentId: string;
  cameras: readonly CaptureSource[];
  settings: CaptureSettings;
  log?: (line: string) => void;
  /** Where the camera placements come from; default: a PlanFollower of facefleet.plan started here. */
  plan?: PlanSource;
};

/** How long start() waits for the plan topic to be read to its end before capturing by key hash. */
const PLAN_LOAD_TIMEOUT_MS = 5000;

/** `roles.capture[i]` as capture-loop.ts takes it. */
export function cameraSpec(source: CaptureSource): CameraSpec {
  const [width, height] = source.videoSize?.split("x").map(Number) ?? [];
  return {
    camera: source.camera,
    source: source.source,
    fps: source.fps,
    loop: source.loop,
    width,
    height,
    v4l2Backend: source.v4l2,
  };
}

type Running = {
  capture: CameraCapture;
  state: CameraState;
  failures: number;
  lastError?: string;
  loop: Promise<void>;
  /** restart() asked for a new run of the source: the loop reopens it instead of ending. */
  restarting?: boolean;
};

const MAX_RESTART_DELAY_MS = 30_000;

export class CaptureRole {
  readonly producer: FrameProducer;
  private readonly cameras: Running[] = [];
  private readonly log: (line: string) => void;
  private readonly stopSignal = new AbortController();
  private stopping: Promise<FrameProducerStats> | undefined;

  private constructor(
    private readonly options: CaptureRoleOptions,
    captures: CameraCapture[],
    private readonly plan: PlanSource | undefined,
    private readonly ownPlan: PlanFollower | undefined,
  ) {
    this.log = options.log ?? (() => {});
    this.producer = new FrameProducer(options.kafka, {
      producerId: options.agentId,
      maxQueue: options.settings.maxQueue,
      partitionOf: (camera) => this.partitionOf(camera),
      onNotice: (line) => this.log(`capture: ${line}`),
    });
    for (const capture of captures) {
      const running: Running = { capture, state: "running", failures: 0, loop: Promise.resolve() };
      running.loop = this.run(running);
      this.cameras.push(running);
    }
  }

  /**
   * Opens every camera's source (a missing file or device fails here, with its one line, before any
   * Kafka connection) and sequence store, then starts capturing.
   */
  static async start(options: CaptureRoleOptions): Promise<CaptureRole> {
    const log = options.log ?? (() => {});
    const stateDir = resolve(options.settings.stateDir);
    const opened: CameraCapture[] = [];
    try {
      for (const source of options.cameras) {
        const capture = await CameraCapture.open(cameraSpec(source), {
          stateDir,
          onNotice: (line) => log(`capture ${source.camera}: ${line}`),
        });
        opened.push(capture);
        const { resumed } = capture.sequence;
        log(
          `capture ${source.camera}: ${capture.kind} ${capture.label} at ${source.fps} fps${source.loop ? ", looped" : ""}, seq from ${capture.sequence.peek()}` +
            (resumed && !resumed.clean ? " (previous run did not stop cleanly)" : ""),
        );
      }
    } catch (error) {
      for (const capture of opened) await capture.close().catch(() => undefined);
      throw error;
    }
    let ownPlan: PlanFollower | undefined;
    if (!options.plan) {
      ownPlan = new PlanFollower(log);
      try {
        await ownPlan.followKafka(options.kafka, `${options.agentId}-capture`, { loadTimeoutMs: PLAN_LOAD_TIMEOUT_MS });
      } catch (error) {
        log(`capture: the plan topic cannot be read (${(error as Error).message}); cameras go to partitions by key hash`);
        await ownPlan.stop().catch(() => undefined);
        ownPlan = undefined;
      }
    }
    return new CaptureRole(options, opened, options.plan ?? ownPlan, ownPlan);
  }

  /** The partition the current plan places `camera` on, when it does (and the plan is of the frames topic). */
  partitionOf(camera: string): number | undefined {
    const plan = this.plan?.current();
    if (!plan || plan.topic !== topics.frames) return undefined;
    const partition = plan.cameras[camera];
    return partition !== undefined && partition < plan.partitionCount ? partition : undefined;
  }

  /** The cameras as health reports them (id, configured fps). */
  cameraList(): { id: string; fps: number }[] {
    return this.cameras.map((c) => ({ id: c.capture.spec.camera, fps: c.capture.spec.fps }));
  }

  private async run(camera: Running): Promise<void> {
    const { capture } = camera;
    const name = capture.spec.camera;
    while (!capture.stopped) {
      try {
        await capture.pump(this.producer);
        if (capture.stopped) break;
        if (camera.restarting) {
          camera.restarting = false;
          camera.failures = 0;
          capture.reopen();
          camera.state = "running";
          this.log(`capture ${name}: source restarted (seq continues from ${capture.sequence.peek()})`);
          continue;
        }
        camera.state = "ended";
        this.log(`capture ${name}: source ended after ${capture.captured} frame(s)`);
        return;
      } catch (error) {
        if (capture.stopped) break;
        camera.failures++;
        camera.lastError = (error as Error).message?.split("\n")[0] ?? String(error);
        camera.state = "restarting";
        const delay = Math.min(MAX_RESTART_DELAY_MS, this.options.settings.restartDelayMs * 2 ** Math.min(camera.failures - 1, 10));
        this.log(`capture ${name}: source failed (${camera.lastError}); opening it again in ${delay} ms`);
        await abortableSleep(delay, this.stopSignal.signal);
        try {
          capture.reopen();
          camera.state = "running";
        } catch (reopenError) {
          // Still missing (unplugged camera): the next round waits longer.
          camera.lastError = (reopenError as Error).message;
          this.log(`capture ${name}: ${camera.lastError}`);
        }
      }
    }
    camera.state = "stopped";
  }

  /**
   * The coordinator's `restart-capture` command: every camera's source is closed and opened again (a
   * wedged camera or stream gets a fresh start); sequence numbers continue. A camera whose source had
   * ended (a file without loop) runs again. Returns how many cameras were restarted.
   */
  restart(): number {
    if (this.stopping) return 0;
    for (const camera of this.cameras) {
      if (camera.state === "ended" || camera.state === "stopped") {
        camera.capture.reopen();
        camera.state = "running";
        camera.loop = this.run(camera);
        this.log(`capture ${camera.capture.spec.camera}: source started again`);
      } else {
        camera.restarting = true;
        camera.capture.restartSource();
      }
    }
    return this.cameras.length;
  }

  /** Resolves when every camera's source has ended (files without `loop`) or the role was stopped. */
  get allEnded(): Promise<void> {
    return Promise.all(this.cameras.map((c) => c.loop)).then(() => undefined);
  }

  snapshot(): CaptureStatsSnapshot {
    const cameras: CaptureStatsSnapshot["cameras"] = {};
    for (const c of this.cameras) {
      const { spec } = c.capture;
      cameras[spec.camera] = {
        kind: c.capture.kind,
        source: c.capture.label,
        fps: spec.fps,
        captured: c.capture.captured,
        nextSeq: c.capture.sequence.peek(),
        state: c.state,
        failures: c.failures,
        ...(c.lastError === undefined ? {} : { lastError: c.lastError }),
      };
    }
    return { producer: this.producer.stats(), cameras };
  }

  /** `capture 3 camera(s): captured 120 sent 118 dropped 2 queued 0 errors 0 (broker not connected: …)`. */
  summary(): string {
    const s = this.snapshot();
    const captured = Object.values(s.cameras).reduce((n, c) => n + c.captured, 0);
    const p = s.producer;
    return (
      `capture ${this.cameras.length} camera(s): captured ${captured} sent ${p.sent} dropped ${p.dropped} queued ${p.queueDepth + p.inFlight} errors ${p.errors}` +
      (p.connected || this.stopping ? "" : ` (broker not connected${p.lastError ? `: ${p.lastError}` : ""})`)
    );
  }

  /** Ends every source, waits for the loops, flushes the producer (flushTimeoutMs), writes clean seq state. */
  stop(): Promise<FrameProducerStats> {
    this.stopping ??= (async () => {
      this.stopSignal.abort();
      for (const c of this.cameras) c.capture.stop();
      await Promise.all(this.cameras.map((c) => c.loop.catch(() => undefined)));
      const final = await this.producer.close(this.options.settings.flushTimeoutMs);
      for (const c of this.cameras)
        await c.capture.close().catch((error: Error) => this.log(`capture ${c.capture.spec.camera}: ${error.message}`));
      await this.ownPlan?.stop().catch(() => undefined);
      return final;
    })();
    return this.stopping;
  }
}
