/** Observations counted into fixed buckets (what ExpositionWriter.histogram writes): per-bucket counts and the sum. */
import type { HistogramSample } from "./exposition.js";

export class Histogram {
  private readonly counts: number[];
  private sum = 0;

  /** `bounds`: bucket upper bounds, finite and increasing. */
  constructor(readonly bounds: readonly number[]) {
    if (bounds.length === 0) throw new Error("histogram: no bounds");
    for (let i = 0; i < bounds.length; i++)
      if (!Number.isFinite(bounds[i]) || (i > 0 && (bounds[i] as number) <= (bounds[i - 1] as number)))
        throw new Error("histogram: bounds must be finite and increasing");
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  /** Counts a value into the first bucket whose bound is ≥ it (the +Inf bucket above the last); NaN is ignored. */
  observe(value: number): void {
    if (Number.isNaN(value)) return;
    let i = 0;
    while (i < this.bounds.length && value > (this.bounds[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += value;
  }

  get count(): number {
    return this.counts.reduce((a, b) => a + b, 0);
  }

  sample(labels?: HistogramSample["labels"]): HistogramSample {
    return { ...(labels ? { labels } : {}), bounds: this.bounds, counts: [...this.counts], sum: this.sum };
  }
}
