import assert from "node:assert/strict";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  ClassifierMatcher,
  defaultTrainingOptions,
  readClassifier,
  trainLogisticRegression,
  writeClassifier,
} from "../../recognition/classifier.js";
import { holdOutLastPerIdentity } from "../../recognition/holdout-split.js";
import { UNKNOWN } from "../../recognition/match.js";

const stamp = { family: "toy", modelId: "toy-v1", embeddingSize: 4 };

/** Three clusters on the unit sphere around the first three axes, with deterministic jitter. */
function toySet() {
  const samples = [];
  let seed = 7;
  const random = () => {
    seed = (seed * 16807) % 2147483647;
    return (seed / 2147483647 - 0.5) * 0.3;
  };
  for (const [label, axis] of [
    ["ada", 0],
    ["bob", 1],
    ["cy", 2],
  ] as const) {
    for (let i = 0; i < 6; i++) {
      const v = Float32Array.from([random(), random(), random(), random()]);
      v[axis] = (v[axis] as number) + 1;
      const n = Math.hypot(...v);
      samples.push({ label, vector: v.map((x) => x / n) });
    }
  }
  return samples;
}

test("logistic regression separates a toy set and says Unknown under its confidence threshold", () => {
  const { train, heldOut } = holdOutLastPerIdentity(toySet());
  assert.equal(heldOut.length, 3);
  // Separable toy clusters: a stronger L2 than the default keeps the weights of the three classes alike.
  const model = trainLogisticRegression(train, stamp, { ...defaultTrainingOptions, l2: 1e-2 });
  const matcher = new ClassifierMatcher(model, 0.5);
  for (const sample of heldOut) assert.equal(matcher.match(sample.vector).identity, sample.label);
  // A face as far from each identity as from the others: the probabilities spread and the answer is Unknown.
  const stranger = matcher.match(Float32Array.from([1, 1, 1, 0].map((v) => v / Math.sqrt(3))));
  assert.equal(stranger.identity, UNKNOWN);
  assert.ok("confidence" in stranger && stranger.confidence < 0.5);
});

test("classifier file round trip predicts the same", async () => {
  const model = trainLogisticRegression(toySet(), stamp, { l2: 1e-3, iterations: 50, learningRate: 0.5, inputScale: 10 });
  const path = join(await mkdtemp(join(tmpdir(), "facefleet-clf-")), "c.json");
  await writeClassifier(path, model);
  const loaded = await readClassifier(path);
  const x = Float32Array.from([0.9, 0.1, 0.1, 0.1]);
  assert.deepEqual(new ClassifierMatcher(loaded, 0).match(x), new ClassifierMatcher(model, 0).match(x));
});

test("training needs at least two identities", () => {
  assert.throws(
    () =>
      trainLogisticRegression(
        toySet().filter((s) => s.label === "ada"),
        stamp,
      ),
    /at least 2 identities/,
  );
});
