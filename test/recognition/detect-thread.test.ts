/**
 * The detect thread (recognition/detect-thread.ts) on real pictures: the same faces as the pipeline on the calling
 * thread, DecodeError for bytes that are no picture, several frames at once answered each with its own faces, and
 * when the thread dies the frames it held and every later one are detected by the fallback instead.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, test } from "node:test";
import type { Worker } from "node:worker_threads";
import { stageThreads } from "../../agent/worker/stage-threads.js";
import { DecodeError } from "../../recognition/decode.js";
import { DetectThread } from "../../recognition/detect-thread.js";
import { type FrameDetection, inProcessDetection } from "../../recognition/frame-detection.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { recognitionSettingsSchema } from "../../recognition/recognition-settings.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";

const settings = recognitionSettingsSchema.parse({ executionProvider: "cpu", precision: "fp32", threads: 1 });
const pictures = ["obama.jpg", "biden.jpg", "obama_small.jpg", "two_people.jpg"].map((name) => readFileSync(exampleImage(name)));
let pipeline: RecognitionPipeline;
let local: FrameDetection;
const threads: DetectThread[] = [];

before(async () => {
  useTestModels();
  pipeline = await RecognitionPipeline.load(settings);
  local = inProcessDetection(pipeline);
});
after(async () => {
  for (const t of threads) await t.close();
});

const summary = (faces: { box: { x: number; y: number; width: number; height: number }; score: number }[]) =>
  faces.map((f) => [Math.round(f.box.x), Math.round(f.box.y), Math.round(f.box.width), Math.round(f.box.height), f.score.toFixed(4)]);

test("the detect thread finds the same faces as the pipeline, pictures in flight at once each get their own", async () => {
  const lines: string[] = [];
  const thread = await DetectThread.start(settings, local, (l) => lines.push(l));
  threads.push(thread);
  assert.match(thread.where, /^detect thread \(yunet-[\w-]+ on cpu\)$/);
  const expected = await Promise.all(pictures.map((p) => local.run(p)));
  const got = await Promise.all(pictures.map((p) => thread.run(p)));
  assert.deepEqual(
    got.map((d) => d.faces.length),
    [1, 1, 1, 2],
  );
  got.forEach((d, i) => {
    const want = expected[i];
    assert.ok(want);
    assert.deepEqual(summary(d.faces), summary(want.faces), `picture ${i}`);
    assert.equal(d.image.width, want.image.width);
    assert.equal(d.image.height, want.image.height);
    assert.ok(Buffer.from(d.image.data).equals(Buffer.from(want.image.data)), "the pixels came back intact");
    assert.ok(d.timings.decode > 0 && d.timings.detect > 0);
  });
  // The caller's bytes are copied to the thread, not taken from it.
  assert.ok(pictures.every((p) => p.length > 0));

  await assert.rejects(
    thread.run(Buffer.from("not a picture")),
    (e: unknown) => e instanceof DecodeError && /cannot decode image/.test(e.message),
  );
  assert.deepEqual(lines, []);
});

test("when the thread dies, the frames it held and all later ones are detected on the caller's thread", async () => {
  const lines: string[] = [];
  const thread = await DetectThread.start(settings, local, (l) => lines.push(l));
  threads.push(thread);
  const held = pictures.map((p) => thread.run(p));
  await (thread as unknown as { worker: Worker }).worker.terminate();
  const results = await Promise.all(held);
  assert.deepEqual(
    results.map((d) => d.faces.length),
    [1, 1, 1, 2],
  );
  const later = await thread.run(pictures[3] as Buffer);
  assert.equal(later.faces.length, 2);
  assert.equal(lines.length, 1, lines.join("\n"));
  assert.match(
    lines[0] ?? "",
    /detect thread \(.*\) stopped \(it exited with code 1\): frames are decoded and detected on the main thread from now on/,
  );
});

test("a detect thread that cannot load its model says why", async () => {
  const broken = recognitionSettingsSchema.parse({ ...settings, detector: "no-such-detector" });
  await assert.rejects(
    DetectThread.start(broken, local, () => {}),
    /^Error: detect thread: .*no-such-detector/,
  );
});

test("stage threads: recognition.threads 0 becomes half the cores with two frames in flight", () => {
  assert.equal(stageThreads(0, 2, 2), 1);
  assert.equal(stageThreads(0, 2, 4), 2);
  assert.equal(stageThreads(0, 2, 1), 1);
  assert.equal(stageThreads(0, 1, 4), 0);
  assert.equal(stageThreads(3, 2, 4), 3);
});
