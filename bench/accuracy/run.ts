/**
 * Accuracy benchmark of the recognition core on the shared data folder's data/ (FACEFLEET_SHARED), for each recognizer:
 *  - knn: enroll face_recognition's knn_examples/train, identify knn_examples/test (test_labels.json);
 *  - LFW verification on pairs.tsv (threshold chosen on the other folds, mean over the 4 folds);
 *  - LFW open-set identification: enroll gallery.tsv, identify probes.tsv (unenrolled probes must be Unknown),
 *    with nearest-neighbour distance and with the logistic-regression classifier: at the threshold that fits the
 *    gallery's size (recognition/gallery-threshold.ts, the manifest's false-match calibration, target 1 %), at the
 *    manifest's fixed threshold, at the best fixed threshold, and along the calibrated false-match rates;
 *  - closed-set rank-1 (no threshold);
 *  - enrollment refusals: the LFW gallery pictures `facefleet enroll` refuses with this pipeline, and why
 *    (bench/support/enrollment-refusals.ts, as bench:enrollment counts them);
 *  - no-face false positives: detections on the no-face set (testing/noface-set.ts) before and after the
 *    plausibility check.
 * A recognizer whose model file is missing (MobileFaceNet is an opt-in build: npm run models:build:mobilefacenet) is
 * skipped with the reason printed and recorded.
 * Writes bench/results/accuracy.json; bench/accuracy/report.ts turns it and the baseline into bench/results/accuracy.md.
 * Run `npm run bench:calibrate` first after a change of model (it writes the calibration this bench reads).
 *
 *   npm run bench:accuracy [-- --recognizer face-api-resnet-v1,sface-2021dec-opt --threads 1] [--out FILE]
 */
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { getRecognizer } from "../../models/manifest.js";
import { modelDirs } from "../../models/model-dirs.js";
import { findModelFile } from "../../models/verify-file.js";
import { ClassifierMatcher, type LabelledEmbedding, trainLogisticRegression } from "../../recognition/classifier.js";
import { emptyGallery, type Identity, upsertIdentities } from "../../recognition/gallery.js";
import { countMatchableIdentities, DEFAULT_FALSE_ACCEPT_RATE, galleryThreshold } from "../../recognition/gallery-threshold.js";
import { type FaceMatcher, GalleryMatcher, UNKNOWN } from "../../recognition/match.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { nofacePictures } from "../../testing/noface-set.js";
import { countEnrollmentRefusals } from "../support/enrollment-refusals.js";
import { machineDescription } from "../support/machine.js";
import { countNofaceDetections } from "../support/noface-detections.js";
import { examplesDir, knnTestLabels, lfwGallery, lfwPairs, lfwProbes, useBenchModels } from "../support/shared-data.js";
import { type CachedFace, FaceCache } from "./face-cache.js";
import { modelTag, openLfwFaces } from "./lfw-faces.js";
import { accuracyAt, bestThreshold, crossValidatedVerification, type ScoredPair } from "./verification.js";

useBenchModels();
const { values } = parseArgs({
  options: {
    recognizer: {
      type: "string",
      default: "sface-2021dec-opt,sface-2021dec-opt-int8,mobilefacenet-human-3.0.4,face-api-resnet-v1,face-api-resnet-v1-int8",
    },
    threads: { type: "string", default: "1" },
    out: { type: "string", default: "bench/results/accuracy.json" },
  },
});
const recognizerIds = (values.recognizer as string).split(",");
const threads = Number(values.threads);
mkdirSync("bench/.cache", { recursive: true });

const progress = (label: string, done: number, total: number) => {
  if (done === total || done % 250 === 0) process.stderr.write(`${label}: ${done}/${total}\n`);
};

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number);
  return 1 - dot;
}

async function evaluate(recognizerId: string) {
  const model = getRecognizer(recognizerId);
  const precision = model.precision === "int8" ? "int8" : "fp32";
  const pipeline = await RecognitionPipeline.load({ recognizer: recognizerId, precision, executionProvider: "cpu", threads });
  const cache = new FaceCache(
    `bench/.cache/faces-${modelTag(pipeline)}-score${pipeline.detector.settings.scoreThreshold}.json`,
    model.embeddingSize,
  );
  const lfw = await openLfwFaces(recognizerId, threads);
  const lfwEmbedding = lfw.embedding;
  const label = recognizerId;

  // --- knn split ---
  const trainDir = join(examplesDir, "examples", "knn_examples", "train");
  const identities: Identity[] = [];
  const knnRejected: string[] = [];
  for (const name of readdirSync(trainDir).sort()) {
    const identity: Identity = { name, embeddings: [] };
    for (const file of readdirSync(join(trainDir, name)).sort()) {
      const faces = await cache.faces(pipeline, join(trainDir, name, file));
      if (faces.length === 1 && faces[0]?.embedding) identity.embeddings.push({ vector: faces[0].embedding, source: file });
      else knnRejected.push(`${name}/${file}: ${faces.length} faces`);
    }
    identities.push(identity);
  }
  const knnGallery = upsertIdentities(emptyGallery(pipeline.recognizer), identities);
  const knnScore = async (matcher: FaceMatcher) => {
    let labelled = 0,
      correct = 0,
      wrong = 0,
      missed = 0;
    for (const [path, labels] of knnTestLabels()) {
      const faces = await cache.faces(pipeline, path);
      const named = new Set(
        faces
          .filter((f) => f.embedding)
          .map((f) => matcher.match(f.embedding as Float32Array).identity)
          .filter((n) => n !== UNKNOWN),
      );
      labelled += labels.length;
      for (const label of labels)
        if (named.has(label)) correct++;
        else missed++;
      for (const name of named) if (!labels.includes(name)) wrong++;
    }
    return { labelledFaces: labelled, correct, wrongNames: wrong, missed, top1: correct / labelled };
  };

  // --- LFW verification ---
  const pairs = lfwPairs();
  const scored: ScoredPair[] = [];
  let verificationDetectionFailures = 0;
  for (const [i, pair] of pairs.entries()) {
    const a = await lfwEmbedding(pair.a);
    const b = await lfwEmbedding(pair.b);
    if (!a || !b) verificationDetectionFailures++;
    scored.push({ distance: a && b ? cosine(a, b) : 2, same: pair.same, fold: pair.fold });
    progress(`${label} LFW pairs`, i + 1, pairs.length);
  }
  await lfw.save();
  const verification = crossValidatedVerification(scored);
  const calibrated = bestThreshold(scored);

  // --- LFW open-set identification ---
  const galleryRows = lfwGallery();
  const lfwIdentities = new Map<string, Identity>();
  const samples: LabelledEmbedding[] = [];
  let galleryFailures = 0;
  for (const row of galleryRows) {
    const e = await lfwEmbedding(row.path);
    if (!e) {
      galleryFailures++;
      continue;
    }
    const identity = lfwIdentities.get(row.identity) ?? { name: row.identity, embeddings: [] };
    identity.embeddings.push({ vector: e, source: row.path });
    lfwIdentities.set(row.identity, identity);
    samples.push({ label: row.identity, vector: e });
  }
  const lfwGalleryFile = upsertIdentities(emptyGallery(pipeline.recognizer), [...lfwIdentities.values()]);
  const probes = lfwProbes();
  const probeEmbeddings: { probe: (typeof probes)[number]; embedding: Float32Array | null }[] = [];
  for (const [i, probe] of probes.entries()) {
    probeEmbeddings.push({ probe, embedding: await lfwEmbedding(probe.path) });
    progress(`${label} LFW probes`, i + 1, probes.length);
  }
  await lfw.save();
  await cache.save();
  // Each probe is matched once with no threshold; the sweeps below only re-apply thresholds to these answers.
  type RawAnswer = { name: string; value: number } | null;
  const answers = (matcher: FaceMatcher): RawAnswer[] =>
    probeEmbeddings.map(({ embedding }) => {
      if (!embedding) return null;
      const m = matcher.match(embedding);
      return { name: m.identity, value: "distance" in m ? m.distance : m.confidence };
    });
  const openSet = (raw: RawAnswer[], accept: (value: number) => boolean) => {
    let enrolled = 0,
      correct = 0,
      wrongName = 0,
      enrolledRejected = 0,
      unknown = 0,
      unknownRejected = 0,
      falseAccept = 0,
      failures = 0;
    probeEmbeddings.forEach(({ probe }, i) => {
      const answer = raw[i];
      const identity = answer && accept(answer.value) ? answer.name : UNKNOWN;
      if (!answer) failures++;
      if (probe.enrolled) {
        enrolled++;
        if (identity === probe.identity) correct++;
        else if (identity === UNKNOWN) enrolledRejected++;
        else wrongName++;
      } else {
        unknown++;
        if (identity === UNKNOWN) unknownRejected++;
        else falseAccept++;
      }
    });
    return {
      enrolledProbes: enrolled,
      top1: correct / enrolled,
      enrolledWrongName: wrongName / enrolled,
      enrolledRejected: enrolledRejected / enrolled,
      unknownProbes: unknown,
      unknownRejection: unknownRejected / unknown,
      unknownFalseAccept: falseAccept / unknown,
      openSetAccuracy: (correct + unknownRejected) / (enrolled + unknown),
      detectionFailures: failures,
    };
  };
  process.stderr.write(`${label}: training the classifier on ${samples.length} gallery faces of ${lfwIdentities.size} identities\n`);
  const lfwClassifier = trainLogisticRegression(samples, pipeline.recognizer);
  const classifierAnswers = answers(new ClassifierMatcher(lfwClassifier, 0));
  const distanceAnswers = answers(new GalleryMatcher(lfwGalleryFile, Number.POSITIVE_INFINITY));
  // Classifier confidence threshold: the one with the best open-set accuracy on the LFW probes.
  let bestConfidence = { threshold: 0.5, openSetAccuracy: -1 };
  for (let t = 0.01; t < 0.99; t += 0.01) {
    const r = openSet(classifierAnswers, (c) => c >= t);
    if (r.openSetAccuracy > bestConfidence.openSetAccuracy)
      bestConfidence = { threshold: Number(t.toFixed(2)), openSetAccuracy: r.openSetAccuracy };
  }
  let bestOpenSetDistance = { threshold: 0, openSetAccuracy: -1 };
  for (let t = 0.01; t < 1; t += 0.0025) {
    const r = openSet(distanceAnswers, (d) => d <= t);
    if (r.openSetAccuracy > bestOpenSetDistance.openSetAccuracy)
      bestOpenSetDistance = { threshold: Number(t.toFixed(4)), openSetAccuracy: r.openSetAccuracy };
  }
  // The default threshold now: the one that fits this gallery's size (N = identities), beside N = pictures.
  const enrolledIdentities = lfwIdentities.size;
  const enrolledPictures = samples.length;
  const sized = galleryThreshold(model, enrolledIdentities, DEFAULT_FALSE_ACCEPT_RATE);
  const sizedByPictures = galleryThreshold(model, enrolledPictures, DEFAULT_FALSE_ACCEPT_RATE);
  const distanceThreshold = sized.threshold;
  const knnClassifier = trainLogisticRegression(
    knnGallery.identities.flatMap((i) => i.embeddings.map((e) => ({ label: i.name, vector: e.vector }))),
    pipeline.recognizer,
  );
  const curve = (raw: RawAnswer[], thresholds: number[], accept: (t: number) => (v: number) => boolean) =>
    thresholds.map((t) => {
      const r = openSet(raw, accept(t));
      return { threshold: t, top1: r.top1, unknownRejection: r.unknownRejection, openSetAccuracy: r.openSetAccuracy };
    });
  const steps = (from: number, to: number, step: number) =>
    Array.from({ length: Math.round((to - from) / step) + 1 }, (_, i) => Number((from + i * step).toFixed(4)));
  // Trade-off: at the distances of the calibrated false-match rates, else 17 steps around the fixed threshold.
  const calibration = model.falseMatchCalibration?.points;
  const curveThresholds = calibration
    ? calibration.map((p) => p.cosineDistance).sort((a, b) => a - b)
    : steps(model.thresholds.cosineDistance * 0.6, model.thresholds.cosineDistance * 1.4, model.thresholds.cosineDistance * 0.05);
  const knnThreshold = galleryThreshold(model, countMatchableIdentities(knnGallery.identities), DEFAULT_FALSE_ACCEPT_RATE).threshold;
  const knnDistance = await knnScore(new GalleryMatcher(knnGallery, knnThreshold));
  const knnClassifierScore = await knnScore(new ClassifierMatcher(knnClassifier, bestConfidence.threshold));
  await cache.save();

  // --- enrollment refusals and no-face false positives, with the enroll command's detection settings ---
  process.stderr.write(`${label}: enrolling the ${galleryRows.length} LFW gallery pictures as facefleet enroll does\n`);
  const enrollmentRefusals = await countEnrollmentRefusals(pipeline, galleryRows);
  process.stderr.write(`${label}: the no-face set\n`);
  const nofaceDetections = await countNofaceDetections(pipeline, nofacePictures());
  return {
    recognizer: recognizerId,
    precision,
    models: pipeline.describe(),
    thresholds: {
      galleryThreshold: { ...sized, identities: enrolledIdentities, targetFalseAccept: DEFAULT_FALSE_ACCEPT_RATE },
      galleryThresholdByPictures: { ...sizedByPictures, pictures: enrolledPictures },
      manifestCosineDistance: model.thresholds.cosineDistance,
      bestOpenSetCosineDistance: bestOpenSetDistance.threshold,
      classifierConfidence: bestConfidence.threshold,
      verificationBestCosineDistance: Number(calibrated.threshold.toFixed(4)),
    },
    knn: {
      threshold: knnThreshold,
      rejectedTrainingPictures: knnRejected,
      distance: knnDistance,
      classifier: knnClassifierScore,
    },
    lfwVerification: {
      pairs: scored.length,
      detectionFailures: verificationDetectionFailures,
      accuracy: verification.mean,
      std: verification.std,
      perFold: verification.perFold,
      /** 1:1, at the threshold of a one-identity gallery (false accept 1 %). */
      accuracyAtOneToOneThreshold: accuracyAt(scored, galleryThreshold(model, 1, DEFAULT_FALSE_ACCEPT_RATE).threshold),
    },
    enrollmentRefusals,
    nofaceDetections,
    lfwIdentification: {
      galleryPictures: galleryRows.length,
      galleryDetectionFailures: galleryFailures,
      enrolledIdentities,
      distance: openSet(distanceAnswers, (d) => d <= distanceThreshold),
      distanceByPictures: openSet(distanceAnswers, (d) => d <= sizedByPictures.threshold),
      distanceAtManifestThreshold: openSet(distanceAnswers, (d) => d <= model.thresholds.cosineDistance),
      distanceAtBestThreshold: openSet(distanceAnswers, (d) => d <= bestOpenSetDistance.threshold),
      closedSetRank1: openSet(distanceAnswers, () => true).top1,
      classifier: openSet(classifierAnswers, (c) => c >= bestConfidence.threshold),
      distanceCurve: curve(distanceAnswers, curveThresholds, (t) => (d) => d <= t).map((p) => ({
        ...p,
        falseMatchRate: calibration?.find((c) => c.cosineDistance === p.threshold)?.falseMatchRate ?? null,
      })),
      classifierCurve: curve(classifierAnswers, steps(0.05, 0.95, 0.05), (t) => (c) => c >= t),
    },
  };
}

const results = [];
const skipped: { recognizer: string; reason: string }[] = [];
for (const id of recognizerIds) {
  const model = getRecognizer(id);
  const dirs = modelDirs();
  if (!findModelFile(model, dirs)) {
    const reason = `${model.file} not found in ${dirs.join(", ")}${model.source.kind === "build" ? ` (built by ${model.source.command})` : ""}`;
    process.stderr.write(`skipping ${id}: ${reason}\n`);
    skipped.push({ recognizer: id, reason });
    continue;
  }
  try {
    results.push(await evaluate(id));
  } catch (error) {
    // One recognizer that cannot load (a model file replaced under a running benchmark) leaves the others' rows.
    const reason = `failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`;
    process.stderr.write(`skipping ${id}: ${reason}\n`);
    skipped.push({ recognizer: id, reason });
  }
}
const report = {
  generatedAt: new Date().toISOString(),
  command: `npm run bench:accuracy -- --recognizer ${recognizerIds.join(",")} --threads ${threads}`,
  machine: machineDescription(),
  results,
  skipped,
};
await writeFileAtomic(values.out as string, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`wrote ${values.out}\n`);
for (const r of results) {
  const d = r.lfwIdentification.distance;
  process.stdout.write(
    `${r.recognizer}: knn top-1 ${(100 * r.knn.distance.top1).toFixed(1)}% | LFW verification ${(100 * r.lfwVerification.accuracy).toFixed(2)}% ± ${(100 * r.lfwVerification.std).toFixed(2)} | open-set at ${r.thresholds.galleryThreshold.threshold} (${r.thresholds.galleryThreshold.source}): top-1 ${(100 * d.top1).toFixed(1)}%, strangers rejected ${(100 * d.unknownRejection).toFixed(1)}% | rank-1 ${(100 * r.lfwIdentification.closedSetRank1).toFixed(1)}%\n`,
  );
}

export type { CachedFace };
