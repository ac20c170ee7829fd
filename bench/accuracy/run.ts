/**
 * Accuracy benchmark of the recognition core on the shared data folder's data/ (FACEFLEET_SHARED), for each precision:
 *  - knn: enroll face_recognition's knn_examples/train, identify knn_examples/test (test_labels.json);
 *  - LFW verification on pairs.tsv (threshold chosen on the other folds, mean over the 4 folds);
 *  - LFW open-set identification: enroll gallery.tsv, identify probes.tsv (unenrolled probes must be Unknown),
 *    with nearest-neighbour distance and with the logistic-regression classifier;
 *  - threshold calibration (see bench/README.md).
 * Writes bench/results/accuracy.json; bench/report.ts turns it and the baseline into bench/results/accuracy.md.
 *
 *   npm run bench:accuracy [-- --precision fp32,int8 --threads 2]
 *   npm run bench:accuracy -- --recognizer mobilefacenet-human-3.0.4,sface-2021dec-opt --out FILE
 *     (--recognizer: manifest ids, each evaluated instead of the default recognizer of --precision; --precision is
 *     then each model's own)
 */
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { getRecognizer } from "../../models/manifest.js";
import { writeFileAtomic } from "../../recognition/atomic-write.js";
import { ClassifierMatcher, type LabelledEmbedding, trainLogisticRegression } from "../../recognition/classifier.js";
import { emptyGallery, type Identity, upsertIdentities } from "../../recognition/gallery.js";
import { type FaceMatcher, GalleryMatcher, UNKNOWN } from "../../recognition/match.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { machineDescription } from "../support/machine.js";
import { examplesDir, knnTestLabels, lfwGallery, lfwPairs, lfwProbes, useBenchModels } from "../support/shared-data.js";
import { type CachedFace, centralFace, FaceCache } from "./face-cache.js";
import { accuracyAt, bestThreshold, crossValidatedVerification, type ScoredPair } from "./verification.js";

useBenchModels();
const { values } = parseArgs({
  options: {
    precision: { type: "string", default: "fp32,int8" },
    threads: { type: "string", default: "2" },
    out: { type: "string", default: "bench/results/accuracy.json" },
    recognizer: { type: "string" },
  },
});
const precisions = (values.precision as string).split(",") as ("fp32" | "int8")[];
const recognizers = values.recognizer ? (values.recognizer as string).split(",") : undefined;
const threads = Number(values.threads);
const LFW_SIZE = 250;
mkdirSync("bench/.cache", { recursive: true });

const progress = (label: string, done: number, total: number) => {
  if (done === total || done % 250 === 0) process.stderr.write(`${label}: ${done}/${total}\n`);
};

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number);
  return 1 - dot;
}

async function evaluate(precision: "fp32" | "int8", recognizerId?: string) {
  const pipeline = await RecognitionPipeline.load({ precision, executionProvider: "cpu", threads, recognizer: recognizerId });
  // LFW pictures show one labelled (central) face: a lower detection threshold finds it in hard pictures.
  const lfwPipeline = await RecognitionPipeline.load({
    precision,
    executionProvider: "cpu",
    threads,
    detectScoreThreshold: 0.3,
    recognizer: recognizerId,
  });
  const recognizer = pipeline.embedder.loaded.model;
  const detector = pipeline.detector.loaded.model;
  const alignment = createHash("sha256").update(JSON.stringify(recognizer.alignment)).digest("hex").slice(0, 8);
  // The plausibility check changes which detections there are: its minimum score is part of the cache's name.
  const checked = pipeline.plausibility ? `-check${pipeline.plausibility.settings.minScore}` : "";
  const tag = `${recognizer.id}-${recognizer.sha256.slice(0, 12)}-${detector.id}-${detector.sha256.slice(0, 12)}-align${alignment}${checked}`;
  const cache = new FaceCache(`bench/.cache/faces-${tag}-score${pipeline.detector.settings.scoreThreshold}.json`, recognizer.embeddingSize);
  const lfwCache = new FaceCache(`bench/.cache/lfw-faces-${tag}.json`, recognizer.embeddingSize);
  const lfwEmbedding = async (path: string) => centralFace(await lfwCache.faces(lfwPipeline, path), LFW_SIZE, LFW_SIZE)?.embedding ?? null;

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
    progress(`${precision} LFW pairs`, i + 1, pairs.length);
  }
  await lfwCache.save();
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
    progress(`${precision} LFW probes`, i + 1, probes.length);
  }
  await lfwCache.save();
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
  process.stderr.write(`${precision}: training the classifier on ${samples.length} gallery faces of ${lfwIdentities.size} identities\n`);
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
  // up to 0.3 for the dlib ResNet (its best is near 0.06); SFace and MobileFaceNet need far larger distances
  const maxDistance = recognizerId ? 1 : 0.3;
  for (let t = 0.01; t < maxDistance; t += 0.0025) {
    const r = openSet(distanceAnswers, (d) => d <= t);
    if (r.openSetAccuracy > bestOpenSetDistance.openSetAccuracy)
      bestOpenSetDistance = { threshold: Number(t.toFixed(4)), openSetAccuracy: r.openSetAccuracy };
  }
  const distanceThreshold = bestOpenSetDistance.threshold;
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
  const knnDistance = await knnScore(new GalleryMatcher(knnGallery, distanceThreshold));
  const knnClassifierScore = await knnScore(new ClassifierMatcher(knnClassifier, bestConfidence.threshold));
  await cache.save();
  return {
    precision,
    models: pipeline.describe(),
    thresholds: {
      cosineDistance: distanceThreshold,
      classifierConfidence: bestConfidence.threshold,
      verificationBestCosineDistance: Number(calibrated.threshold.toFixed(4)),
    },
    knn: {
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
      accuracyAtDefaultThreshold: accuracyAt(scored, distanceThreshold),
    },
    lfwIdentification: {
      galleryPictures: galleryRows.length,
      galleryDetectionFailures: galleryFailures,
      distance: openSet(distanceAnswers, (d) => d <= distanceThreshold),
      classifier: openSet(classifierAnswers, (c) => c >= bestConfidence.threshold),
      distanceCurve: curve(
        distanceAnswers,
        distanceThreshold > 0.12 ? steps(Math.max(0, distanceThreshold - 0.08), distanceThreshold + 0.08, 0.01) : steps(0.04, 0.12, 0.005),
        (t) => (d) => d <= t,
      ),
      classifierCurve: curve(classifierAnswers, steps(0.05, 0.95, 0.05), (t) => (c) => c >= t),
    },
  };
}

const results = [];
if (recognizers) for (const id of recognizers) results.push(await evaluate(getRecognizer(id).precision === "int8" ? "int8" : "fp32", id));
else for (const precision of precisions) results.push(await evaluate(precision));
const report = {
  generatedAt: new Date().toISOString(),
  command: recognizers
    ? `npm run bench:accuracy -- --recognizer ${recognizers.join(",")} --threads ${threads} --out ${values.out}`
    : `npm run bench:accuracy -- --precision ${precisions.join(",")} --threads ${threads}`,
  machine: machineDescription(),
  results,
};
await writeFileAtomic(values.out as string, `${JSON.stringify(report, null, 2)}\n`);
process.stdout.write(`wrote ${values.out}\n`);
for (const r of results) {
  process.stdout.write(
    `${r.models.find((m) => m.role === "recognizer")?.model} ${r.precision}: knn top-1 ${(100 * r.knn.distance.top1).toFixed(1)}% | LFW verification ${(100 * r.lfwVerification.accuracy).toFixed(2)}% ± ${(100 * r.lfwVerification.std).toFixed(2)} | open-set top-1 ${(100 * r.lfwIdentification.distance.top1).toFixed(1)}%, unknown rejected ${(100 * r.lfwIdentification.distance.unknownRejection).toFixed(1)}% | thresholds ${JSON.stringify(r.thresholds)}\n`,
  );
}

export type { CachedFace };
