import assert from "node:assert/strict";
import { copyFile, mkdir, mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import sharp, { type Sharp } from "sharp";
import { chooseEnrollmentFace } from "../../recognition/dominant-face.js";
import { embedEnrollmentSources, listEnrollmentSources } from "../../recognition/enrollment.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { exampleImage, sharedDir, useTestModels } from "../../testing/paths.js";

useTestModels();
const pipeline = await RecognitionPipeline.load({ executionProvider: "cpu", precision: "fp32", threads: 1 });
const lfw = (person: string, n: number) =>
  join(sharedDir, "data", "lfw_dev", "images", person, `${person}_${String(n).padStart(4, "0")}.jpg`);
/** Anders Fogh Rasmussen in the middle (97 px), a smaller face cut by the picture's right edge behind him (37 px). */
const withBackground = lfw("Anders_Fogh_Rasmussen", 2);

async function choose(path: string, change: (s: Sharp) => Sharp = (s) => s) {
  const { image, faces } = await pipeline.analyse(await change(sharp(path)).png().toBuffer());
  return { image, faces, choice: chooseEnrollmentFace(image, faces) };
}

test("an LFW picture with a background face: the central, larger face is enrolled and the other reported as ignored", async () => {
  const { image, faces, choice } = await choose(withBackground);
  assert.equal(faces.length, 2);
  assert.ok(choice.accepted, choice.accepted ? "" : choice.reason);
  assert.equal(choice.ignored.length, 1);
  const { box } = choice.face;
  assert.ok(box.x < image.width / 2 && image.width / 2 < box.x + box.width, "the enrolled face holds the picture's centre");
  assert.ok(choice.ignored[0] && choice.ignored[0].box.width < box.width / 2);
  assert.deepEqual(choice.quality.issues, []);
  assert.equal(choice.face.embedding.length, pipeline.recognizer.embeddingSize);
});

test("two_people.jpg (two faces of about the same size) is refused as ambiguous, with the ratio and the rule", async () => {
  const { choice } = await choose(exampleImage("two_people.jpg"));
  assert.equal(choice.accepted, false);
  assert.ok(!choice.accepted);
  assert.equal(choice.refusal, "ambiguous");
  assert.match(
    choice.reason,
    /^2 faces found and none is clearly the subject: the largest is 1\.\d\dx the area of the next \(needs 1\.5x\)/,
  );
});

test("the larger face is not taken when another face is nearer the centre; a lone face off-centre is", async () => {
  // The same picture on a canvas 4x as wide: the people at its left, the smaller face now the nearer the centre.
  const widen = (s: Sharp) => s.extend({ right: 750, background: "#808080" });
  const { choice } = await choose(withBackground, widen);
  assert.ok(!choice.accepted);
  assert.equal(choice.refusal, "ambiguous");
  assert.match(choice.reason, /^2 faces found and the largest is not the one nearest the picture's centre/);
  const alone = await choose(lfw("Annette_Lu", 1), widen);
  assert.ok(alone.choice.accepted, alone.choice.accepted ? "" : alone.choice.reason);
  assert.deepEqual(alone.choice.ignored, []);
});

test("the subject's face blurred or too small is refused with that reason, background face or not", async () => {
  const blurred = await choose(withBackground, (s) => s.blur(3));
  assert.ok(!blurred.choice.accepted);
  assert.equal(blurred.choice.refusal, "blurred");
  assert.match(blurred.choice.reason, /^face blurred/);
  const small = await choose(lfw("Annette_Lu", 1), (s) => s.resize(90));
  assert.ok(!small.choice.accepted);
  assert.equal(small.choice.refusal, "too-small");
  assert.match(small.choice.reason, /^face too small \(3\d px, needs 40\)/);
});

test("enrollment of a folder: the subject of the background-face picture enrolled and the ignored face noted, the others refused with their refusal", async () => {
  const dir = await mkdtemp(join(tmpdir(), "facefleet-dominant-"));
  await mkdir(join(dir, "anders"));
  await copyFile(withBackground, join(dir, "anders", "with-background.jpg"));
  await copyFile(lfw("Anders_Fogh_Rasmussen", 1), join(dir, "anders", "alone.jpg"));
  await copyFile(exampleImage("two_people.jpg"), join(dir, "crowd.jpg"));
  await writeFile(
    join(dir, "sky.png"),
    await sharp({ create: { width: 320, height: 240, channels: 3, background: "#5a8cd2" } })
      .png()
      .toBuffer(),
  );
  const result = await embedEnrollmentSources(pipeline, await listEnrollmentSources(dir));
  assert.deepEqual(
    result.identities.map((i) => [i.name, i.embeddings.length]),
    [["anders", 2]],
  );
  assert.deepEqual(result.ignored, [
    { path: join(dir, "anders", "with-background.jpg"), identity: "anders", ignoredFaces: 1, note: "ignored 1 background face" },
  ]);
  assert.deepEqual(
    result.rejected.map((r) => [r.identity, r.refusal]),
    [
      ["crowd", "ambiguous"],
      ["sky", "no-face"],
    ],
  );
  // Both pictures enrolled are of the same man: the recognizer agrees.
  const [a, b] = result.identities[0]?.embeddings ?? [];
  assert.ok(a && b);
  let dot = 0;
  for (let i = 0; i < a.vector.length; i++) dot += (a.vector[i] as number) * (b.vector[i] as number);
  assert.ok(1 - dot < pipeline.thresholds.cosineDistance, `distance ${1 - dot}`);
});
