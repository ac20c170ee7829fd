/**
 * How far this agent's clock is from each camera's capture clock, so the stale-frame rule (worker.maxFrameAgeMs)
 * stays sane on a device whose clock is off: a frame's age is this agent's `now` minus the capture time another
 * device stamped, and with the clocks 5 minutes apart every fresh frame looked 5 minutes old and was skipped.
 *
 * The rule: a frame that is the newest of its partition when fetched (its offset is the batch's high watermark − 1)
 * was captured moments ago, so its apparent age is mostly the clocks' difference. Per camera the least apparent age
 * of the last `window` such frames is the estimate; it is taken off every frame's apparent age once it is more than
 * `toleranceMs` either way (below that it is latency, not skew). A camera that stopped long ago has an old newest
 * frame too: its last frames are then processed instead of skipped, which costs little (nothing newer waits).
 */
export class CaptureClock {
  private readonly heads = new Map<string, { offsets: string[]; ages: number[] }>();

  constructor(
    private readonly onChange: (camera: string, offsetMs: number) => void = () => {},
    private readonly window = 20,
    private readonly toleranceMs = 1000,
  ) {}

  /** A frame fetched as the newest of its partition: `apparentAgeMs` = this agent's now − its capture time. */
  observeHead(camera: string, offset: string, apparentAgeMs: number): void {
    const head = this.heads.get(camera) ?? { offsets: [], ages: [] };
    if (head.offsets.at(-1) === offset) return; // the same newest frame seen again (a camera that went quiet)
    const before = this.offsetMs(camera);
    head.offsets.push(offset);
    head.ages.push(apparentAgeMs);
    if (head.ages.length > this.window) {
      head.offsets.shift();
      head.ages.shift();
    }
    this.heads.set(camera, head);
    const after = this.offsetMs(camera);
    if (Math.abs(after - before) > this.toleranceMs) this.onChange(camera, after);
  }

  /** What to take off the apparent age of `camera`'s frames (0 while the clocks agree within the tolerance). */
  offsetMs(camera: string): number {
    const ages = this.heads.get(camera)?.ages;
    if (!ages || ages.length === 0) return 0;
    const least = Math.min(...ages);
    return Math.abs(least) > this.toleranceMs ? least : 0;
  }
}
