/**
 * At most `maxFps` annotated frames per second of capture time, per camera. The slots keep their grid while
 * frames come on time (a frame 10 ms early waits for the next one, and the long-run rate is exactly the cap);
 * a camera quiet for longer than a slot, or whose capture time went backwards (a replay), starts afresh with
 * its next frame. Any window of W ms of capture time holds at most W × maxFps / 1000 + 2 annotated frames.
 */
export class AnnotationRate {
  private readonly slots = new Map<string, { due: number; last: number }>();
  private readonly intervalMs: number;

  /** `maxFps` 0: no cap. */
  constructor(maxFps: number) {
    this.intervalMs = maxFps > 0 ? 1000 / maxFps : 0;
  }

  /** Whether this frame of the camera may be annotated; if so its slot is taken. */
  take(camera: string, captureTime: number): boolean {
    if (this.intervalMs === 0) return true;
    const slot = this.slots.get(camera);
    if (slot && captureTime >= slot.last && captureTime < slot.due) return false;
    const onGrid = slot !== undefined && captureTime >= slot.last && captureTime - slot.due < this.intervalMs;
    const due = (onGrid ? slot.due : captureTime) + this.intervalMs;
    this.slots.set(camera, { due, last: captureTime });
    return true;
  }

  /** The camera's next frame is annotated at once (it stopped being watched). */
  forget(camera: string): void {
    this.slots.delete(camera);
  }
}
