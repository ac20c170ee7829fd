import type { LiveViewDemand } from "../../protocol/live-view.js";
import { AnnotationRate } from "./annotation-rate.js";
import type { AnnotationSettings } from "./annotation-settings.js";

/**
 * Whether a camera's frame gets an annotated JPEG: something consumes it — the live view watches the camera
 * (the coordinator's LiveViewDemand, honoured until its lease runs out), the camera is in `annotateAlways`, or
 * `annotated` is `always` — and the camera's rate cap (`annotateMaxFps`, annotation-rate.ts) allows it. A camera
 * that becomes watched gets its next frame annotated: the first annotated frame comes within one frame.
 */
export class AnnotationDemand {
  private all = false;
  private cameras: ReadonlySet<string> = new Set();
  private leaseEndsAt = 0;
  private readonly always: ReadonlySet<string>;
  private readonly rate: AnnotationRate;

  constructor(
    private readonly settings: AnnotationSettings,
    private readonly clock: () => number = Date.now,
  ) {
    this.always = new Set(settings.annotateAlways);
    this.rate = new AnnotationRate(settings.annotateMaxFps);
  }

  /** Whether any frame can ever be annotated (the annotated topic is needed). */
  get enabled(): boolean {
    return this.settings.annotated !== "never";
  }

  /** Whether live-view demands matter (`on-demand`). */
  get onDemand(): boolean {
    return this.settings.annotated === "on-demand";
  }

  /** When the last demand's lease ends (epoch ms, this agent's clock); 0 before any. */
  get leaseEnds(): number {
    return this.leaseEndsAt;
  }

  /** The coordinator's demand, just received: it replaces the one before and holds for its lease. */
  watch(demand: LiveViewDemand, receivedAt = this.clock()): void {
    this.all = demand.all;
    this.cameras = new Set(demand.cameras);
    this.leaseEndsAt = receivedAt + demand.leaseMs;
  }

  /** Whether something consumes the camera's annotated frames now. */
  wanted(camera: string, now = this.clock()): boolean {
    if (this.settings.annotated !== "on-demand") return this.settings.annotated === "always";
    if (this.always.has(camera)) return true;
    return now < this.leaseEndsAt && (this.all || this.cameras.has(camera));
  }

  /** Whether this frame is annotated: wanted, and within the camera's rate (its slot is then taken). */
  take(camera: string, captureTime: number, now = this.clock()): boolean {
    if (!this.wanted(camera, now)) {
      this.rate.forget(camera);
      return false;
    }
    return this.rate.take(camera, captureTime);
  }

  /** What is watched, for a log line: `all cameras`, `cam-0, cam-1` or `no camera`. */
  describe(now = this.clock()): string {
    if (now >= this.leaseEndsAt) return "no camera (no live demand)";
    if (this.all) return "all cameras";
    return this.cameras.size > 0 ? [...this.cameras].sort().join(", ") : "no camera";
  }
}
