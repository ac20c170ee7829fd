/**
 * Attributes once per track (worker.attributes): the Hamilton clip through the worker's FrameProcessor with the
 * real detector, recognizer and attribute models, attributes on for the clip's camera: a track's attributes are
 * estimated on few of its faces, every face of a track shows the same attributes, its events carry them; with
 * `every: "frame"` every face large enough to be named is estimated; a camera without attributes has none.
 */
import assert from "node:assert/strict";
import { before, test } from "node:test";
import { trackSettingsSchema } from "../../agent/config.js";
import { attributeSettingsSchema } from "../../agent/worker/attribute-settings.js";
import { AttributeModels } from "../../recognition/attributes/attribute-models.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { type ClipRun, clipFrames, demoGallery, loadClipLabels, memoisedPipeline, runClip } from "../../testing/hamilton-clip.js";
import { useTestModels } from "../../testing/paths.js";

let once: ClipRun;
let everyFrame: ClipRun;
let off: ClipRun;

before(async () => {
  useTestModels();
  const pipeline = await RecognitionPipeline.load({ threads: 1 });
  const cached = memoisedPipeline(pipeline);
  const labels = loadClipLabels();
  const frames = clipFrames(labels);
  const gallery = await demoGallery(pipeline);
  const models = await AttributeModels.load(["emotion", "age", "gender"], { threads: 1 });
  const track = trackSettingsSchema.parse({});
  const run = (attributes: unknown) =>
    runClip({
      pipeline: cached,
      gallery,
      frames,
      labels,
      loops: 1,
      track,
      attributes: { models, settings: attributeSettingsSchema.parse(attributes) },
    });
  once = await run({ cameras: { hamilton: ["emotion", "age", "gender"] } });
  everyFrame = await run({ estimate: ["emotion", "age", "gender"], every: "frame" });
  off = await run({ estimate: ["emotion"], cameras: { hamilton: [] } });
});

const faces = (r: ClipRun) => r.frames.flatMap((f) => f.faces);

test("once per track: every face of a track shows the same attributes, estimated on far fewer faces than every frame", () => {
  const byTrack = new Map<string, string>();
  for (const face of faces(once)) {
    if (!face.trackId || !face.attributes) continue;
    const shown = JSON.stringify(face.attributes);
    const first = byTrack.get(face.trackId) ?? shown;
    byTrack.set(face.trackId, first);
    assert.equal(shown, first, `track ${face.trackId}`);
  }
  const tracks = new Set(faces(once).flatMap((f) => (f.trackId ? [f.trackId] : []))).size;
  assert.ok(byTrack.size >= 3, `tracks with attributes: ${byTrack.size}`);
  assert.ok(once.attributesRun <= tracks * 1.5, `${once.attributesRun} estimates for ${tracks} tracks`);
  assert.ok(
    everyFrame.attributesRun >= 3 * once.attributesRun,
    `every frame ${everyFrame.attributesRun}, once per track ${once.attributesRun}`,
  );
  for (const face of faces(once)) if (face.attributes) assert.deepEqual(Object.keys(face.attributes).sort(), ["age", "emotion", "gender"]);
});

test("once per track: person_seen and unknown_person events carry the track's attributes", () => {
  const announced = once.events.filter((e) => e.event.type === "person_seen" || e.event.type === "unknown_person");
  assert.ok(announced.length >= 2, `announcements: ${announced.length}`);
  for (const { event } of announced) {
    assert.ok(event.attributes, `${event.type} ${event.identity} ${event.trackId} has attributes`);
    assert.ok(typeof event.attributes.emotion?.value === "string");
    assert.ok(typeof event.attributes.age?.value === "number");
  }
  const lin = announced.find((e) => e.event.identity === "lin-manuel-miranda");
  assert.equal(lin?.event.attributes?.gender?.value, "male", JSON.stringify(lin?.event.attributes));
});

test("a camera whose list is empty gets no attributes and runs no attribute model", () => {
  assert.equal(off.attributesRun, 0);
  assert.ok(faces(off).every((f) => f.attributes === undefined));
  assert.ok(off.events.every((e) => e.event.attributes === undefined));
});
