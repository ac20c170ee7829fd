/**
 * Recognition events as an agent sends them for a picture (agent/worker/frame-processor.ts): the real models'
 * embedding of its largest face, rounded as on the wire, and that face's aligned chip as the JPEG crop. Shared by
 * the faces-over-time tests (coordinator and dashboard).
 */
import assert from "node:assert/strict";
import { readdirSync } from "node:fs";
import path from "node:path";
import { encodeCrop, roundEmbedding } from "../../agent/worker/frame-processor.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import type { AttributeModels } from "../../recognition/attributes/attribute-models.js";
import type { RecognitionPipeline } from "../../recognition/pipeline.js";
import { sharedDir } from "../../testing/paths.js";

/** The first `count` pictures of an LFW person (shared data lfw_dev), sorted by name. */
export function lfwPictures(name: string, count: number): string[] {
  const dir = path.join(sharedDir, "data", "lfw_dev", "images", name);
  return readdirSync(dir)
    .sort()
    .slice(0, count)
    .map((f) => path.join(dir, f));
}

/** Builds events numbered from 1, one second apart from `startTime`. */
export class FaceEvents {
  private seq = 0;

  constructor(
    private readonly pipeline: RecognitionPipeline,
    private readonly startTime: number,
    private readonly agent = "agent-faces",
  ) {}

  /** With `attributes`, the event carries that face's attributes as the models estimate them (worker.attributes). */
  async of(
    file: string,
    camera: string,
    type: RecognitionEvent["type"],
    identity: string,
    attributes?: AttributeModels,
  ): Promise<RecognitionEvent> {
    const { image, faces: all } = await this.pipeline.analyse(file);
    const faces = all.filter((f) => f.embedding && f.chip);
    const face = faces.sort((a, b) => b.box.width * b.box.height - a.box.width * a.box.height)[0];
    assert.ok(face?.embedding && face.chip, `${file}: a face`);
    const seq = ++this.seq;
    const estimated = attributes ? (await attributes.estimate(image, [face])).attributes[0] : undefined;
    return {
      schemaVersion: 1,
      type,
      camera,
      trackId: `track-${seq}`,
      identity,
      firstSeq: seq * 10,
      lastSeq: seq * 10 + 5,
      time: this.startTime + seq * 1000,
      agent: this.agent,
      embedding: roundEmbedding(face.embedding),
      model: this.pipeline.recognizer.modelId,
      crop: await encodeCrop(face.chip),
      ...(estimated ? { attributes: estimated } : {}),
    };
  }
}
