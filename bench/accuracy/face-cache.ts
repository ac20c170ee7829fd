import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { decodeVector, encodeVector } from "../../recognition/embedding-codec.js";
import type { Box } from "../../recognition/image.js";
import type { RecognitionPipeline } from "../../recognition/pipeline.js";

export type CachedFace = { box: Box; score: number; embedding: Float32Array | null };

/**
 * Faces per picture for one recognizer, kept in a JSON file so reruns of the benchmark skip pictures already
 * embedded. The file name carries the model's sha256, so a changed model never reuses stale vectors.
 */
export class FaceCache {
  private readonly entries = new Map<string, CachedFace[]>();
  private dirty = 0;

  constructor(
    private readonly path: string,
    dim: number,
  ) {
    if (!existsSync(path)) return;
    const json = JSON.parse(readFileSync(path, "utf8")) as Record<string, { box: Box; score: number; embedding: string | null }[]>;
    for (const [key, faces] of Object.entries(json)) {
      this.entries.set(
        key,
        faces.map((f) => ({ box: f.box, score: f.score, embedding: f.embedding ? decodeVector(f.embedding, dim) : null })),
      );
    }
  }

  async faces(pipeline: RecognitionPipeline, path: string): Promise<CachedFace[]> {
    const known = this.entries.get(path);
    if (known) return known;
    let faces: CachedFace[];
    try {
      faces = (await pipeline.analyse(path)).faces.map((f) => ({ box: f.box, score: f.score, embedding: f.embedding }));
    } catch {
      faces = [];
    }
    this.entries.set(path, faces);
    if (++this.dirty >= 200) await this.save();
    return faces;
  }

  async save(): Promise<void> {
    const json: Record<string, unknown> = {};
    for (const [key, faces] of this.entries) {
      json[key] = faces.map((f) => ({ box: f.box, score: f.score, embedding: f.embedding ? encodeVector(f.embedding) : null }));
    }
    await writeFileAtomic(this.path, JSON.stringify(json));
    this.dirty = 0;
  }
}

/** The face nearest the picture's centre (LFW's labelled person is the central face). */
export function centralFace(faces: readonly CachedFace[], width: number, height: number): CachedFace | undefined {
  let best: CachedFace | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const f of faces) {
    if (!f.embedding) continue;
    const d = Math.hypot(f.box.x + f.box.width / 2 - width / 2, f.box.y + f.box.height / 2 - height / 2);
    if (d < bestDistance) {
      bestDistance = d;
      best = f;
    }
  }
  return best;
}
