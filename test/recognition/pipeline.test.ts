import assert from "node:assert/strict";
import { test } from "node:test";
import sharp from "sharp";
import { emptyGallery, upsertIdentities } from "../../recognition/gallery.js";
import { GalleryMatcher, UNKNOWN } from "../../recognition/match.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";

useTestModels();
const pipeline = await RecognitionPipeline.load({ executionProvider: "cpu", precision: "fp32", threads: 1 });

async function embeddingOf(path: string): Promise<Float32Array> {
  const { faces } = await pipeline.analyse(path);
  assert.equal(faces.length, 1, `${path}: expected one face`);
  assert.ok(faces[0]?.embedding);
  return faces[0].embedding;
}

test("two_people.jpg has 2 faces, each with 5 landmarks inside its box and a unit embedding", async () => {
  const { faces } = await pipeline.analyse(exampleImage("two_people.jpg"));
  assert.equal(faces.length, 2);
  for (const face of faces) {
    for (const p of face.landmarks) {
      assert.ok(p.x >= face.box.x && p.x <= face.box.x + face.box.width, "landmark x inside the box");
      assert.ok(p.y >= face.box.y && p.y <= face.box.y + face.box.height, "landmark y inside the box");
    }
    assert.ok(face.embedding);
    const norm = Math.hypot(...face.embedding);
    assert.ok(Math.abs(norm - 1) < 1e-5);
  }
});

test("a picture with no face gives 0 faces", async () => {
  const sky = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 90, g: 140, b: 210 } } })
    .jpeg()
    .toBuffer();
  const { faces } = await pipeline.analyse(sky);
  assert.equal(faces.length, 0);
});

test("obama enrolled: obama2.jpg is obama; biden, not enrolled, is Unknown", async () => {
  const gallery = upsertIdentities(emptyGallery(pipeline.recognizer), [
    { name: "obama", embeddings: [{ vector: await embeddingOf(exampleImage("obama.jpg")), source: "obama.jpg" }] },
  ]);
  const matcher = new GalleryMatcher(gallery, pipeline.thresholds.cosineDistance);
  const same = matcher.match(await embeddingOf(exampleImage("obama2.jpg")));
  assert.equal(same.identity, "obama");
  const other = matcher.match(await embeddingOf(exampleImage("biden.jpg")));
  assert.equal(other.identity, UNKNOWN);
  assert.ok("distance" in same && "distance" in other && same.distance < other.distance);
});

test("the same face at 240p and 1080p embeds to nearly the same vector", async () => {
  const small = await embeddingOf(exampleImage("obama-240p.jpg"));
  const large = await embeddingOf(exampleImage("obama-1080p.jpg"));
  let dot = 0;
  for (let i = 0; i < small.length; i++) dot += (small[i] as number) * (large[i] as number);
  assert.ok(1 - dot < pipeline.thresholds.cosineDistance, `distance ${1 - dot}`);
});
