/** One face kept as evidence: its weight (face-weight.ts), its embedding and, when asked for, its sample. */
type Kept<R> = { weight: number; embedding: Float32Array; sample?: R };

/**
 * The best faces of one track: the `capacity` heaviest (face-weight.ts), their weighted mean
 * embedding (the track's aggregate, matched against the gallery instead of single frames) and the
 * heaviest face's sample (the crop and embedding an event carries).
 */
export class TrackEvidence<R = never> {
  private kept: Kept<R>[] = [];
  private cached: Float32Array | undefined;

  constructor(private readonly capacity: number) {}

  /** Total weight of the kept faces: how much the aggregate can be trusted. */
  get weight(): number {
    return this.kept.reduce((sum, k) => sum + k.weight, 0);
  }

  get faces(): number {
    return this.kept.length;
  }

  /**
   * Offers one face; kept when it is among the `capacity` heaviest so far. `sample` is called only
   * when the face is the heaviest yet, so the chip is cut a few times per track, not once per frame.
   */
  add(embedding: Float32Array, weight: number, sample?: () => R): void {
    if (!(weight > 0)) return;
    const lightest = this.kept.length < this.capacity ? undefined : this.kept[this.kept.length - 1];
    if (lightest !== undefined && weight <= lightest.weight) return;
    const heaviest = this.kept[0];
    const entry: Kept<R> = { weight, embedding };
    if (sample !== undefined && (heaviest === undefined || weight > heaviest.weight)) entry.sample = sample();
    if (lightest !== undefined) this.kept.pop();
    const at = this.kept.findIndex((k) => k.weight < weight);
    this.kept.splice(at < 0 ? this.kept.length : at, 0, entry);
    this.cached = undefined;
  }

  /** The weighted mean of the kept embeddings, unit length; undefined before any face. */
  aggregate(): Float32Array | undefined {
    if (this.cached !== undefined || this.kept.length === 0) return this.cached;
    const first = this.kept[0] as Kept<R>;
    const sum = new Float32Array(first.embedding.length);
    for (const k of this.kept) for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) + k.weight * (k.embedding[i] as number);
    let norm = 0;
    for (const v of sum) norm += v * v;
    norm = Math.sqrt(norm);
    if (norm > 0) for (let i = 0; i < sum.length; i++) sum[i] = (sum[i] as number) / norm;
    this.cached = sum;
    return sum;
  }

  /** The sample of the heaviest face that has one. */
  representative(): R | undefined {
    return this.kept.find((k) => k.sample !== undefined)?.sample;
  }
}
