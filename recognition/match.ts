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
 */
export class GalleryMatcher implements FaceMatcher {
  private readonly names: string[] = [];
  private readonly vectors: Float32Array;
  private readonly dim: number;

  constructor(
    gallery: Gallery,
    readonly threshold: number,
  ) {
    this.dim = gallery.recognizer.embeddingSize;
    const count = gallery.identities.reduce((n, identity) => n + identity.embeddings.length, 0);
    this.vectors = new Float32Array(count * this.dim);
    let row = 0;
    for (const identity of gallery.identities) {
      for (const entry of identity.embeddings) {
        this.vectors.set(entry.vector, row * this.dim);
        this.names.push(identity.name);
        row++;
      }
    }
  }

  match(embedding: Float32Array): MatchResult {
    let best = Number.POSITIVE_INFINITY;
    let bestName: string = UNKNOWN;
    const { dim, vectors } = this;
    for (let row = 0; row < this.names.length; row++) {
      let dot = 0;
      const base = row * dim;
      for (let i = 0; i < dim; i++) dot += (embedding[i] as number) * (vectors[base + i] as number);
      const distance = 1 - dot;
      if (distance < best) {
        best = distance;
        bestName = this.names[row] as string;
      }
    }
    if (!Number.isFinite(best)) return { identity: UNKNOWN, distance: 2 };
    return { identity: best <= this.threshold ? bestName : UNKNOWN, distance: best };
  }
}
