/**
 * Recognise once per track (agent/worker/recognise-once.ts): which faces the tracker says need an embedding,
 * on a GalleryMatcher over 8-d unit vectors (threshold 0.3) and the tracker's real update.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { trackSettingsSchema } from "../../agent/config.js";
import { recogniseOnceSettingsSchema } from "../../agent/worker/recognise-once.js";
import { CameraTracker, type FaceToTrack } from "../../agent/worker/tracker.js";
import { emptyGallery, upsertIdentities } from "../../recognition/gallery.js";
import { GalleryMatcher } from "../../recognition/match.js";

const unit = (axis: number) => Float32Array.from({ length: 8 }, (_, i) => (i === axis ? 1 : 0));
/** A big frontal face (weight 0.9) at column x; its embedding along `axis`, or none (not embedded). */
const face = (x: number, axis: number | null, size = 100): FaceToTrack => ({
  box: { x, y: 10, width: size, height: size },
  score: 0.9,
  match: null,
  embedding: axis === null ? null : unit(axis),
});
const gallery = (people: Record<string, number>) =>
  new GalleryMatcher(
    upsertIdentities(
      emptyGallery({ family: "test", modelId: "test-8d", embeddingSize: 8 }),
      Object.entries(people).map(([name, axis]) => ({ name, embeddings: [{ vector: unit(axis), source: `${name}.jpg` }] })),
    ),
    0.3,
  );
const ada = gallery({ ada: 0 });

/** A tracker whose track at x = 100 is named ada after frames 1-2 (seq 3 comes next, at 400 ms). */
function namedTrack(recogniseOnce = {}) {
  const tracker = new CameraTracker("door", trackSettingsSchema.parse({ recogniseOnce }), () => "t1");
  tracker.update(1, 0, [face(100, 0)], ada);
  const named = tracker.update(2, 200, [face(100, 0)], ada);
  assert.equal(named.faces[0]?.identity, "ada");
  return tracker;
}

test("a named track's face is not embedded; it still shows the track's name, and is embedded again after maxSkippedFrames", () => {
  const tracker = namedTrack({ maxSkippedFrames: 2 });
  let seq = 3;
  const step = (embedded: boolean) => {
    const needed = tracker.embeddingsNeeded(seq, seq * 200, [face(102, null)], ada);
    const out = tracker.update(seq, seq * 200, [face(102, needed[0] ? 0 : null)], ada);
    assert.equal(out.faces[0]?.identity, "ada", `seq ${seq}`);
    assert.equal(out.faces[0]?.trackId, "t1");
    seq++;
    return needed[0] === embedded;
  };
  assert.deepEqual([step(false), step(false), step(true), step(false)], [true, true, true, true], "skip, skip, embed (2 skipped), skip");
});

test("a new track, an undecided one, an Unknown near the threshold and a stale decision are embedded", () => {
  const tracker = new CameraTracker("door", trackSettingsSchema.parse({}), () => "t1");
  assert.deepEqual(tracker.embeddingsNeeded(1, 0, [face(100, null)], ada), [true], "no track yet");
  tracker.update(1, 0, [face(100, 0)], ada);
  assert.deepEqual(tracker.embeddingsNeeded(2, 200, [face(100, null)], ada), [true], "one frame: not decided (minFramesToName 2)");
  const named = namedTrack();
  named.resetVotes(); // the gallery changed
  assert.deepEqual(named.embeddingsNeeded(3, 400, [face(100, null)], ada), [true], "decided against the old gallery");

  // A stranger whose nearest enrolled face is at 0.32, just past the threshold 0.3 (margin 0.1 asks for 0.33).
  const near = new Float32Array(8);
  near[0] = 1 - 0.32;
  near[1] = Math.sqrt(1 - near[0] * near[0]);
  const stranger = new CameraTracker("hall", trackSettingsSchema.parse({}), () => "s1");
  for (const seq of [1, 2]) stranger.update(seq, seq * 200, [{ ...face(100, null), embedding: near }], ada);
  assert.deepEqual(stranger.embeddingsNeeded(3, 600, [face(100, null)], ada), [true], "an uncertain Unknown");
  // A clear stranger (distance 1): decided, not embedded again.
  const clear = new CameraTracker("yard", trackSettingsSchema.parse({}), () => "c1");
  for (const seq of [1, 2]) clear.update(seq, seq * 200, [face(100, 3)], ada);
  assert.deepEqual(clear.embeddingsNeeded(3, 600, [face(100, null)], ada), [false], "a clear Unknown");
});

test("a jump of the box, a clearly better face, two faces near one track, or recogniseOnce off: embedded", () => {
  assert.deepEqual(namedTrack().embeddingsNeeded(3, 400, [face(160, null)], ada), [true], "IoU 0.25 with the last box < minIou 0.5");
  assert.deepEqual(namedTrack().embeddingsNeeded(3, 400, [face(100, null)], ada), [false], "same box, same quality");
  // 60 px faces are worth 0.54 each; an 80 px one 0.72 = 1.33x (IoU with the last box 0.56).
  const growing = new CameraTracker("door", trackSettingsSchema.parse({}), () => "g1");
  for (const seq of [1, 2, 3]) growing.update(seq, seq * 200, [face(100, 0, 60)], ada);
  assert.deepEqual(growing.embeddingsNeeded(4, 800, [face(90, null, 80)], ada), [true], "weight 0.72 >= 1.25 x 0.54");
  assert.deepEqual(growing.embeddingsNeeded(4, 800, [face(100, null, 62)], ada), [false], "0.56 < 1.25 x 0.54");
  assert.deepEqual(namedTrack().embeddingsNeeded(3, 400, [face(100, null), face(110, null)], ada), [true, true], "crowded");
  assert.deepEqual(namedTrack({ enabled: false }).embeddingsNeeded(3, 400, [face(100, null)], ada), [true], "off");
  assert.deepEqual(namedTrack().embeddingsNeeded(1, 400, [face(100, null)], ada), [true], "sequence went backwards: tracks end");
});

test("recogniseOnce settings: defaults, and errors that name the field", () => {
  assert.deepEqual(recogniseOnceSettingsSchema.parse({}), {
    enabled: true,
    margin: 0.1,
    maxSkippedFrames: 5,
    minIou: 0.5,
    qualityGain: 1.25,
  });
  const bad = trackSettingsSchema.safeParse({ recogniseOnce: { qualityGain: 0.5 } });
  assert.equal(bad.success, false);
  assert.deepEqual(bad.error?.issues[0]?.path, ["recogniseOnce", "qualityGain"]);
  assert.equal(trackSettingsSchema.safeParse({ recogniseOnce: { maxFrames: 3 } }).success, false, "unknown field");
});
