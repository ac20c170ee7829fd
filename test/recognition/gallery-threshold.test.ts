import assert from "node:assert/strict";
import { test } from "node:test";
import { formatZodIssue } from "../../core/format-issue.js";
import { loadManifest } from "../../models/manifest.js";
import { manifestSchema } from "../../models/manifest-schema.js";
import { emptyGallery, upsertIdentities } from "../../recognition/gallery.js";
import {
  countMatchableIdentities,
  distanceAtFalseMatchRate,
  falseAcceptRateSchema,
  galleryThreshold,
  perComparisonFalseMatchRate,
} from "../../recognition/gallery-threshold.js";
import { GalleryMatcher, UNKNOWN } from "../../recognition/match.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";

const table = {
  points: [
    { falseMatchRate: 0.1, cosineDistance: 0.5 },
    { falseMatchRate: 0.01, cosineDistance: 0.3 },
    { falseMatchRate: 0.0001, cosineDistance: 0.2 },
  ],
};
const model = { thresholds: { cosineDistance: 0.25, classifierConfidence: 0.3 } };

test("the per-comparison rate gives the target over N comparisons: (1 - rate)^N = 1 - target", () => {
  assert.equal(perComparisonFalseMatchRate(0.01, 1), 0.01);
  for (const n of [2, 334, 1e6]) {
    const rate = perComparisonFalseMatchRate(0.01, n);
    assert.ok(Math.abs((1 - rate) ** n - 0.99) < 1e-9, `N=${n}: ${rate}`);
  }
  assert.ok(Math.abs(perComparisonFalseMatchRate(0.01, 334) - 3.009e-5) < 1e-8);
  // No cancellation for tiny rates: 1 - (1 - 1e-9)^(1/1e6) computed naively is 0 or noise.
  assert.ok(Math.abs(perComparisonFalseMatchRate(1e-9, 1e6) / 1e-15 - 1) < 1e-6);
  assert.equal(perComparisonFalseMatchRate(0.01, 0), 0.01, "an empty gallery counts as one comparison");
  assert.throws(() => perComparisonFalseMatchRate(0, 5), /must be in \(0, 1\)/);
});

test("the distance at a rate is exact at table points, linear in log10(rate) between, clamped outside", () => {
  assert.deepEqual(distanceAtFalseMatchRate(table, 0.01), { distance: 0.3, clamped: false });
  const between = distanceAtFalseMatchRate(table, 10 ** -1.5);
  assert.ok(Math.abs(between.distance - 0.4) < 1e-12 && !between.clamped, JSON.stringify(between));
  const lower = distanceAtFalseMatchRate(table, 0.001); // halfway in log between 1e-2 and 1e-4
  assert.ok(Math.abs(lower.distance - 0.25) < 1e-12, JSON.stringify(lower));
  assert.deepEqual(distanceAtFalseMatchRate(table, 0.5), { distance: 0.5, clamped: true });
  assert.deepEqual(distanceAtFalseMatchRate(table, 1e-9), { distance: 0.2, clamped: true });
});

test("a bigger gallery gets a stricter threshold; a model without calibration keeps its fixed one", () => {
  assert.deepEqual(galleryThreshold(model, 10), { threshold: 0.25, source: "fixed" });
  const calibrated = {
    ...model,
    falseMatchCalibration: { ...table, impostorPairs: 1, pictures: 1, identities: 1, detector: "", data: "", command: "", generatedAt: "" },
  };
  const sizes = [1, 2, 10, 100, 1000, 100000];
  const thresholds = sizes.map((n) => galleryThreshold(calibrated, n).threshold);
  // Strictly falling inside the table (rates down to 1e-4: N up to about 100), flat once clamped at its end.
  for (let i = 1; i < thresholds.length; i++) {
    const [prev, cur] = [thresholds[i - 1] as number, thresholds[i] as number];
    assert.ok((sizes[i] as number) <= 100 ? cur < prev : cur === 0.2, thresholds.join(" "));
  }
  assert.equal(galleryThreshold(calibrated, 1).threshold, 0.3, "one identity: the rate is the target itself");
  assert.equal(galleryThreshold(calibrated, 100000).clamped, true);
  assert.ok((galleryThreshold(calibrated, 10, 0.1).threshold as number) > (galleryThreshold(calibrated, 10, 0.01).threshold as number));
});

test("the false-accept target is validated as a rate, and identities without embeddings do not count", () => {
  assert.equal(falseAcceptRateSchema.safeParse(0.01).success, true);
  for (const bad of [0, -0.1, 1, 5]) assert.equal(falseAcceptRateSchema.safeParse(bad).success, false, String(bad));
  assert.equal(countMatchableIdentities([{ embeddings: [1] }, { embeddings: [] }, { embeddings: [1, 2] }]), 2);
});

test("the manifest refuses a calibration whose points are out of order, naming the field", () => {
  const manifest = structuredClone(loadManifest()) as { models: Record<string, Record<string, unknown>> };
  const id = Object.keys(manifest.models).find((k) => manifest.models[k]?.falseMatchCalibration) as string;
  assert.ok(id, "some recognizer is calibrated");
  const calibration = manifest.models[id]?.falseMatchCalibration as { points: unknown[] };
  calibration.points = [...calibration.points].reverse();
  const parsed = manifestSchema.safeParse(manifest);
  assert.equal(parsed.success, false);
  assert.match(
    formatZodIssue(parsed.error as never),
    new RegExp(`models\\.${id.replaceAll(".", "\\.")}\\.falseMatchCalibration\\.points: must be ordered`),
  );
});

test("every calibrated recognizer in the manifest: thresholds fall as the gallery grows, default recognizers calibrated", () => {
  const manifest = loadManifest();
  for (const id of Object.values(manifest.defaults.recognizer))
    assert.ok(manifest.models[id]?.role === "recognizer" && manifest.models[id].falseMatchCalibration, id);
  for (const [id, entry] of Object.entries(manifest.models)) {
    if (entry.role !== "recognizer" || !entry.falseMatchCalibration) continue;
    const t = [1, 2, 10, 334, 10000].map((n) => galleryThreshold(entry, n).threshold);
    for (let i = 1; i < t.length; i++) assert.ok((t[i] as number) < (t[i - 1] as number), `${id}: ${t.join(" ")}`);
  }
});

test("real faces, default recognizer: a 2-person gallery names obama2.jpg and leaves biden.jpg Unknown at its own threshold", async () => {
  useTestModels();
  const pipeline = await RecognitionPipeline.load({ executionProvider: "cpu", precision: "fp32", threads: 1 });
  const embeddingOf = async (name: string) => {
    const { faces } = await pipeline.analyse(exampleImage(name));
    assert.equal(faces.length, 1, name);
    return faces[0]?.embedding as Float32Array;
  };
  const gallery = upsertIdentities(emptyGallery(pipeline.recognizer), [
    { name: "obama", embeddings: [{ vector: await embeddingOf("obama.jpg"), source: "obama.jpg" }] },
    { name: "alex", embeddings: [{ vector: await embeddingOf("alex-lacamoire.png"), source: "alex-lacamoire.png" }] },
  ]);
  const small = pipeline.galleryThreshold(countMatchableIdentities(gallery.identities));
  assert.equal(small.source, "calibrated");
  assert.ok(small.threshold > pipeline.galleryThreshold(334).threshold, "2 people: looser than 334");
  const matcher = new GalleryMatcher(gallery, small.threshold);
  assert.equal(matcher.match(await embeddingOf("obama2.jpg")).identity, "obama");
  assert.equal(matcher.match(await embeddingOf("biden.jpg")).identity, UNKNOWN);
});
