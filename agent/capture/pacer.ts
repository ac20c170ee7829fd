import { setTimeout as sleep } from "node:timers/promises";

/**
 * Hands out ticks at a fixed rate, like a camera's shutter: tick n is due at start + n / fps.
 * A consumer that falls more than one interval behind is not paid back with a burst: the schedule
 * restarts from now.
 */
export class Pacer {
  private readonly intervalMs: number;
  private next = 0;

  constructor(fps: number) {
    this.intervalMs = 1000 / fps;
  }

  /** Waits until the next tick is due; false if the signal aborted meanwhile. */
  async wait(signal?: AbortSignal): Promise<boolean> {
    const now = performance.now();
    if (this.next === 0 || now - this.next > this.intervalMs) this.next = now;
    const delay = this.next - now;
    this.next += this.intervalMs;
    if (delay > 1) {
      try {
        await sleep(delay, undefined, { signal });
      } catch {
        return false;
      }
    }
    return !signal?.aborted;
  }
}

/**
 * The other way round, for sources that run at their own rate (a camera): keeps a frame only when
 * at least one interval (less 10% jitter) passed since the last kept one.
 */
export class RateLimiter {
  private readonly minGapMs: number;
  private last = Number.NEGATIVE_INFINITY;

  constructor(fps: number) {
    this.minGapMs = (1000 / fps) * 0.9;
  }

  keep(now = performance.now()): boolean {
    if (now - this.last < this.minGapMs) return false;
    this.last = now;
    return true;
  }
}
