import type { Gallery } from "./gallery.js";

export const UNKNOWN = "Unknown";

/** The answer for one face: a name or "Unknown", with the distance (gallery) or confidence (classifier) behind it. */
export type MatchResult = { identity: string; distance: number } | { identity: string; confidence: number };

export type FaceMatcher = { match(embedding: Float32Array): MatchResult };

/** 1 - cosine similarity of two unit vectors: 0 same direction, 2 opposite. */
export function cosineDistance(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number);
  return 1 - dot;
}

/**
 * Nearest enrolled embedding by cosine distance; farther than the threshold means "Unknown".
 * The gallery is flattened once so a match is one pass over contiguous memory.
 *
 * Reject sets (an identity's `rejects`: faces an operator corrected as "not this person"). The rule:
 * an identity is refused for a probe when one of its reject embeddings is CLOSER to the probe than
 * the identity's own nearest embedding. Then the next nearest identity (within the threshold) is
 * tried, else Unknown. Relative, not absolute: the corrected face itself (and faces like it) lands
 * nearer its reject than the person's enrolled faces and is refused, while a real photo of the person
 * stays nearer their own embeddings than the stranger's reject and is still named. An absolute rule
 * ("a reject within the threshold") would also refuse the person themself whenever the look-alike is
 * within the threshold of them, which is exactly the case a correction is made for.
 */
export class GalleryMatcher implements FaceMatcher {
  private readonly identityOf: number[] = [];
  private readonly names: string[] = [];
  private readonly vectors: Float32Array;
  private readonly rejectOf: number[] = [];
  private readonly rejects: Float32Array;
  private readonly dim: number;

  constructor(
    gallery: Gallery,
    readonly threshold: number,
  ) {
    this.dim = gallery.recognizer.embeddingSize;
    const count = gallery.identities.reduce((n, identity) => n + identity.embeddings.length, 0);
    const rejectCount = gallery.identities.reduce((n, identity) => n + (identity.rejects?.length ?? 0), 0);
    this.vectors = new Float32Array(count * this.dim);
    this.rejects = new Float32Array(rejectCount * this.dim);
    let row = 0;
    let rejectRow = 0;
    gallery.identities.forEach((identity, index) => {
      this.names.push(identity.name);
      for (const entry of identity.embeddings) {
        this.vectors.set(entry.vector, row * this.dim);
        this.identityOf.push(index);
        row++;
      }
      for (const entry of identity.rejects ?? []) {
        this.rejects.set(entry.vector, rejectRow * this.dim);
        this.rejectOf.push(index);
        rejectRow++;
      }
    });
  }

  match(embedding: Float32Array): MatchResult {
    if (this.rejectOf.length > 0) return this.matchWithRejects(embedding);
    let best = Number.POSITIVE_INFINITY;
    let bestIdentity = -1;
    const { dim, vectors } = this;
    for (let row = 0; row < this.identityOf.length; row++) {
      const distance = rowDistance(embedding, vectors, row * dim, dim);
      if (distance < best) {
        best = distance;
        bestIdentity = this.identityOf[row] as number;
      }
    }
    if (!Number.isFinite(best)) return { identity: UNKNOWN, distance: 2 };
    return { identity: best <= this.threshold ? (this.names[bestIdentity] as string) : UNKNOWN, distance: best };
  }

  /** Per identity: its own nearest distance and its nearest reject; the nearest identity not refused wins. */
  private matchWithRejects(embedding: Float32Array): MatchResult {
    const { dim } = this;
    const own = new Float64Array(this.names.length).fill(Number.POSITIVE_INFINITY);
    const rejected = new Float64Array(this.names.length).fill(Number.POSITIVE_INFINITY);
    for (let row = 0; row < this.identityOf.length; row++) {
      const index = this.identityOf[row] as number;
      const distance = rowDistance(embedding, this.vectors, row * dim, dim);
      if (distance < (own[index] as number)) own[index] = distance;
    }
    for (let row = 0; row < this.rejectOf.length; row++) {
      const index = this.rejectOf[row] as number;
      const distance = rowDistance(embedding, this.rejects, row * dim, dim);
      if (distance < (rejected[index] as number)) rejected[index] = distance;
    }
    let nearest = Number.POSITIVE_INFINITY;
    let best = Number.POSITIVE_INFINITY;
    let bestIdentity = -1;
    for (let index = 0; index < this.names.length; index++) {
      const distance = own[index] as number;
      if (distance < nearest) nearest = distance;
      if ((rejected[index] as number) < distance) continue; // a reject is closer than the person: not them
      if (distance < best) {
        best = distance;
        bestIdentity = index;
      }
    }
    if (bestIdentity >= 0 && best <= this.threshold) return { identity: this.names[bestIdentity] as string, distance: best };
    // Unknown: the distance to the nearest identity that could have named the face, or to the nearest at all.
    const distance = Number.isFinite(best) ? best : nearest;
    return { identity: UNKNOWN, distance: Number.isFinite(distance) ? distance : 2 };
  }
}

function rowDistance(embedding: Float32Array, vectors: Float32Array, base: number, dim: number): number {
  let dot = 0;
  for (let i = 0; i < dim; i++) dot += (embedding[i] as number) * (vectors[base + i] as number);
  return 1 - dot;
}
