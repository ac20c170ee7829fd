/**
 * One camera's capture loop: its source's frames, each with the camera's next sequence number,
 * offered to a FrameProducer. `facefleet produce` runs one of these; the capture role of
 * `facefleet agent` runs one per camera into a producer they share (capture-role.ts).
 */

import type { CapturedFrame } from "./frame.js";
import type { FrameProducer } from "./frame-producer.js";
import { type OpenSourceOptions, openFrameSource, type SourceKind } from "./frame-source.js";
import { SequenceStore } from "./sequence-store.js";
import type { V4l2Backend } from "./v4l2-source.js";

/** What to capture: the camera id (record key) and its source, as `produce`'s options or `roles.capture[]`. */
export type CameraSpec = {
  camera: string;
  /** A video file, a directory of pictures, /dev/videoN or rtsp://… */
  source: string;
  fps: number;
  loop?: boolean;
  /** V4L2 capture size. */
  width?: number;
  height?: number;
  v4l2Backend?: V4l2Backend;
};

export type OpenCameraOptions = {
  /** Where `<camera>.seq.json` lives (sequence-store.ts). */
  stateDir: string;
  /** A line worth logging that does not stop the source (RTSP reconnect, skipped picture). */
  onNotice?: (line: string) => void;
};

export class CameraCapture {
  /** Frames handed to the producer so far (over every run of the source). */
  captured = 0;

  private constructor(
    readonly spec: CameraSpec,
    readonly sequence: SequenceStore,
    private readonly onNotice: (line: string) => void,
    private opened: { kind: SourceKind; label: string; frames: AsyncGenerator<CapturedFrame> },
    private readonly controller: AbortController,
    /** Aborts the current run of the source only (restartSource); stop() aborts it too. */
    private run: AbortController,
  ) {
    // One listener for the camera's life: stop() ends whichever run is current (reopen() replaces it).
    controller.signal.addEventListener("abort", () => this.run.abort(), { once: true });
  }

  /** A run of the source; already aborted when the camera is stopped. */
  private static runController(stopSignal: AbortSignal): AbortController {
    const run = new AbortController();
    if (stopSignal.aborted) run.abort();
    return run;
  }

  /**
   * Checks the source first (a missing file or device is one FacefleetError line, before anything
   * else is opened), then opens the camera's sequence store.
   */
  static async open(spec: CameraSpec, options: OpenCameraOptions): Promise<CameraCapture> {
    const notice = options.onNotice ?? (() => {});
    const controller = new AbortController();
    // The first run's source opens with a signal of its own, tied to stop() (restartSource aborts it alone).
    const firstRun = CameraCapture.runController(controller.signal);
    const opened = openFrameSource(spec.source, CameraCapture.sourceOptions(spec, firstRun.signal, notice));
    const sequence = await SequenceStore.open(options.stateDir, spec.camera);
    return new CameraCapture(spec, sequence, notice, opened, controller, firstRun);
  }

  private static sourceOptions(spec: CameraSpec, signal: AbortSignal, onNotice: (line: string) => void): OpenSourceOptions {
    return {
      fps: spec.fps,
      loop: spec.loop,
      width: spec.width,
      height: spec.height,
      v4l2Backend: spec.v4l2Backend,
      signal,
      onNotice,
    };
  }

  get kind(): SourceKind {
    return this.opened.kind;
  }

  get label(): string {
    return this.opened.label;
  }

  get stopped(): boolean {
    return this.controller.signal.aborted;
  }

  /**
   * Offers the source's frames to the producer until the source ends, stop() is called or
   * `maxFrames` (over this run) are captured. Throws what the source throws (ffmpeg failed, device gone).
   * Never waits for Kafka: offer() does not block.
   */
  async pump(producer: Pick<FrameProducer, "offer">, options: { maxFrames?: number } = {}): Promise<void> {
    let run = 0;
    for await (const frame of this.opened.frames) {
      producer.offer(this.spec.camera, await this.sequence.next(), frame);
      this.captured++;
      run++;
      if (options.maxFrames !== undefined && run >= options.maxFrames) break;
      if (this.run.signal.aborted) break;
    }
  }

  /** A fresh run of the source after it ended, failed or was restarted (the same camera, seq store and spec). */
  reopen(): void {
    if (this.stopped) return;
    this.run = CameraCapture.runController(this.controller.signal);
    this.opened = openFrameSource(this.spec.source, CameraCapture.sourceOptions(this.spec, this.run.signal, this.onNotice));
  }

  /** Ends the current run of the source (its ffmpeg is killed); pump() returns soon after and reopen() starts a new one. */
  restartSource(): void {
    this.run.abort();
  }

  /** Ends the source (its ffmpeg is killed, a pending wait returns); pump() returns soon after. */
  stop(): void {
    this.controller.abort();
  }

  /** Writes the clean sequence state: the next run continues with no gap. Call after pump() returned. */
  async close(): Promise<void> {
    this.stop();
    await this.sequence.close();
  }
}
