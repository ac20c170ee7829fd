/**
 * Turns bench/results/accuracy.json and the face_recognition baseline's JSON files (same data, produced by
 * bench/baseline/face_recognition_eval.py) into bench/results/accuracy.md.
 *   node dist/bench/accuracy/report.js
 */
import { existsSync, readFileSync } from "node:fs";
import { writeFileAtomic } from "../../core/atomic-write.js";

type OpenSet = { top1: number; enrolledWrongName: number; unknownRejection: number; unknownFalseAccept: number; openSetAccuracy: number };
type CurvePoint = { threshold: number; top1: number; unknownRejection: number; openSetAccuracy: number; falseMatchRate?: number | null };
type Counted = { detections: number; picturesWithFace: number };
type Result = {
  recognizer: string;
  enrollmentRefusals?: { pictures: number; refused: number; reasons: Record<string, number>; acceptedWithBackgroundFaces: number };
  nofaceDetections?: { pictures: number; before: Counted; after: Counted };
  precision: string;
  models: { model: string }[];
  thresholds: {
    galleryThreshold: {
      threshold: number;
      source: string;
      falseMatchRate?: number;
      clamped?: boolean;
      identities: number;
      targetFalseAccept: number;
    };
    galleryThresholdByPictures: { threshold: number; pictures: number };
    manifestCosineDistance: number;
    bestOpenSetCosineDistance: number;
    classifierConfidence: number;
  };
  knn: {
    threshold: number;
    distance: { top1: number; correct: number; labelledFaces: number; wrongNames: number };
    classifier: { top1: number; correct: number; labelledFaces: number; wrongNames: number };
  };
  lfwVerification: { accuracy: number; std: number; detectionFailures: number; accuracyAtOneToOneThreshold: number };
  lfwIdentification: {
    enrolledIdentities: number;
    distance: OpenSet;
    distanceByPictures: OpenSet;
    distanceAtManifestThreshold: OpenSet;
    distanceAtBestThreshold: OpenSet;
    closedSetRank1: number;
    classifier: OpenSet;
    distanceCurve: CurvePoint[];
    classifierCurve: CurvePoint[];
  };
};

const read = (path: string) => (existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : null);
const ours = read("bench/results/accuracy.json") as {
  generatedAt: string;
  command: string;
  machine: Record<string, unknown>;
  results: Result[];
  skipped?: { recognizer: string; reason: string }[];
};
const knn = read("bench/results/baseline-knn.json");
const verify = read("bench/results/baseline-lfw-verify.json");
const identify = read("bench/results/baseline-lfw-identify.json");
const baseEnrollment = read("bench/results/baseline-enrollment.json");
const baseNoface = read("bench/results/baseline-noface.json");
const pct = (v: number | undefined | null) => (v === undefined || v === null ? "n/a" : `${(100 * v).toFixed(2)}%`);

const lines: string[] = [
  "# Recognition accuracy",
  "",
  `Generated ${ours.generatedAt} by \`${ours.command}\` then \`node dist/bench/accuracy/report.js\`. Data: ../shared/data (face_recognition's knn_examples; LFW deep-funneled folds 1-4: 2400 pairs, 668 gallery pictures of 334 people, 2244 probes of which 1042 are of people not enrolled). Detector: YuNet (yunet-2023mar-dynamic) for every recognizer.`,
  "Baseline: Python face_recognition 1.3.0 (dlib HOG detector + dlib ResNet, Euclidean threshold 0.6), same pictures, from bench/baseline (its JSON files sit beside this one).",
  "",
  "Default threshold (facefleet): the distance that fits the gallery's size for a 1 % chance that a stranger is given some name (recognition/gallery-threshold.ts, calibration in bench/results/calibration.md). For the LFW gallery, N = 334 identities; for the knn split, N = its identities.",
  ...(ours.skipped?.length
    ? [
        "",
        ...ours.skipped.map(
          (s) =>
            `Skipped ${s.recognizer}: ${s.reason}.${s.recognizer.startsWith("mobilefacenet") ? " Its last measurement, with SFace and the dlib ResNet in the same run: bench/results/accuracy-mobilefacenet.json and bench/results/mobilefacenet.md (58 % LFW verification: not usable)." : ""}`,
        ),
      ]
    : []),
  "",
  "## Summary",
  "",
  `| figure | face_recognition (dlib) | ${ours.results.map((r) => r.recognizer).join(" | ")} |`,
  `|---|---|${ours.results.map(() => "---|").join("")}`,
];
const row = (name: string, base: string, f: (r: Result) => string) =>
  lines.push(`| ${name} | ${base} | ${ours.results.map(f).join(" | ")} |`);
const baseOpenSet = identify
  ? {
      top1: pct(identify.enrolled_probes.top1_accuracy),
      rejected: pct(identify.unknown_probes.rejection_rate),
      accuracy: pct(
        (identify.enrolled_probes.counts.correct + identify.unknown_probes.counts.rejected) /
          (identify.enrolled_probes.counts.n + identify.unknown_probes.counts.n),
      ),
    }
  : { top1: "n/a", rejected: "n/a", accuracy: "n/a" };
row(
  "knn split: labelled faces named correctly (default threshold)",
  knn ? `${knn.totals.correct}/${knn.totals.labelled_faces}` : "n/a",
  (r) =>
    `${r.knn.distance.correct}/${r.knn.distance.labelledFaces} at ${r.knn.threshold.toFixed(3)} (classifier ${r.knn.classifier.correct}/${r.knn.classifier.labelledFaces})`,
);
row(
  "knn split: wrong names",
  knn ? String(knn.totals.wrong_names) : "n/a",
  (r) => `${r.knn.distance.wrongNames} (classifier ${r.knn.classifier.wrongNames})`,
);
row(
  "LFW verification, 4-fold protocol",
  verify ? `${pct(verify.lfw_protocol.mean_accuracy)} ± ${pct(verify.lfw_protocol.std_accuracy)}` : "n/a",
  (r) => `${pct(r.lfwVerification.accuracy)} ± ${pct(r.lfwVerification.std)}`,
);
row(
  "LFW pictures where no face was found",
  verify ? `${verify.detection.failures_images} (falls back to a fixed central box)` : "n/a",
  (r) => String(r.lfwVerification.detectionFailures),
);
row(
  "default distance threshold (LFW gallery, 334 identities)",
  "0.6 (Euclidean)",
  (r) =>
    `${r.thresholds.galleryThreshold.threshold.toFixed(4)} (${r.thresholds.galleryThreshold.source}${r.thresholds.galleryThreshold.falseMatchRate !== undefined ? `, per-comparison ${r.thresholds.galleryThreshold.falseMatchRate.toExponential(2)}` : ""}${r.thresholds.galleryThreshold.clamped ? ", clamped" : ""})`,
);
row("open-set at the default threshold: enrolled probes named correctly (top-1)", baseOpenSet.top1, (r) =>
  pct(r.lfwIdentification.distance.top1),
);
row("open-set: enrolled probes given a wrong name", identify ? pct(identify.enrolled_probes.false_accept_wrong_name_rate) : "n/a", (r) =>
  pct(r.lfwIdentification.distance.enrolledWrongName),
);
row("open-set: strangers rejected as Unknown", baseOpenSet.rejected, (r) => pct(r.lfwIdentification.distance.unknownRejection));
row("open-set: strangers given a name (false accept; target 1 %)", identify ? pct(identify.unknown_probes.false_accept_rate) : "n/a", (r) =>
  pct(r.lfwIdentification.distance.unknownFalseAccept),
);
row("open-set accuracy (named right + strangers rejected)", baseOpenSet.accuracy, (r) => pct(r.lfwIdentification.distance.openSetAccuracy));
row(
  "what N counts: strangers given a name with N = pictures (668) instead",
  "—",
  (r) =>
    `${pct(r.lfwIdentification.distanceByPictures.unknownFalseAccept)} (threshold ${r.thresholds.galleryThresholdByPictures.threshold.toFixed(4)}, top-1 ${pct(r.lfwIdentification.distanceByPictures.top1)})`,
);
row(
  "open-set at the manifest's fixed threshold (the default before gallery-size thresholds): top-1 / strangers rejected",
  `${baseOpenSet.top1} / ${baseOpenSet.rejected} (0.6)`,
  (r) =>
    `${pct(r.lfwIdentification.distanceAtManifestThreshold.top1)} / ${pct(r.lfwIdentification.distanceAtManifestThreshold.unknownRejection)} (${r.thresholds.manifestCosineDistance})`,
);
row(
  "open-set at the fixed threshold with the best open-set accuracy: top-1 / strangers rejected",
  "—",
  (r) =>
    `${pct(r.lfwIdentification.distanceAtBestThreshold.top1)} / ${pct(r.lfwIdentification.distanceAtBestThreshold.unknownRejection)} (${r.thresholds.bestOpenSetCosineDistance})`,
);
row(
  "open-set with the classifier: top-1 / strangers rejected",
  "—",
  (r) =>
    `${pct(r.lfwIdentification.classifier.top1)} / ${pct(r.lfwIdentification.classifier.unknownRejection)} (confidence ≥ ${r.thresholds.classifierConfidence})`,
);
row("closed-set rank-1 (no threshold)", identify ? pct(identify.enrolled_probes.rank1_closed_set_accuracy) : "n/a", (r) =>
  pct(r.lfwIdentification.closedSetRank1),
);

const reasonList = (r: Record<string, number>) =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${v} ${k}`)
    .join(", ") || "none";
row(
  "enrollment: LFW gallery pictures refused (of 668), and why",
  baseEnrollment
    ? `${baseEnrollment.refused} (${reasonList(baseEnrollment.reasons)}; exactly one face, as its knn example enrolls)`
    : "n/a",
  (r) =>
    r.enrollmentRefusals
      ? `${r.enrollmentRefusals.refused} (${reasonList(r.enrollmentRefusals.reasons)}); ${r.enrollmentRefusals.acceptedWithBackgroundFaces} accepted with background faces ignored`
      : "n/a",
);
row(
  `no-face set (${baseNoface?.pictures ?? ours.results[0]?.nofaceDetections?.pictures ?? "?"} pictures): detections before → after the plausibility check (pictures with a face)`,
  baseNoface ? `${baseNoface.detections} (${baseNoface.pictures_with_face}); HOG, no check` : "n/a",
  (r) =>
    r.nofaceDetections
      ? `${r.nofaceDetections.before.detections} → ${r.nofaceDetections.after.detections} (${r.nofaceDetections.before.picturesWithFace} → ${r.nofaceDetections.after.picturesWithFace})`
      : "n/a",
);

lines.push("", "## Open-set trade-off (nearest enrolled face, cosine distance threshold)", "");
lines.push(
  "At the distances of the calibrated false-match rates per comparison (bench/results/calibration.md); the default for 334 identities lies near 3e-5.",
  "",
);
const baselineCurve = identify?.threshold_sweep as { threshold: number; enrolled_top1: number; unknown_rejected: number }[] | undefined;
for (const r of ours.results) {
  lines.push(
    `${r.recognizer}:`,
    "",
    "| false-match rate | threshold | top-1 of enrolled | strangers rejected | open-set accuracy |",
    "|---|---|---|---|---|",
  );
  for (const p of r.lfwIdentification.distanceCurve)
    lines.push(`| ${p.falseMatchRate ?? "—"} | ${p.threshold} | ${pct(p.top1)} | ${pct(p.unknownRejection)} | ${pct(p.openSetAccuracy)} |`);
  lines.push("");
}
if (baselineCurve) {
  lines.push(
    "face_recognition (Euclidean distance threshold):",
    "",
    "| threshold | top-1 of enrolled | strangers rejected |",
    "|---|---|---|",
  );
  for (const p of baselineCurve) lines.push(`| ${p.threshold} | ${pct(p.enrolled_top1)} | ${pct(p.unknown_rejected)} |`);
  lines.push("");
}
lines.push(
  "## How the thresholds are set",
  "",
  "- Distance, by default: from the target open-set false-accept rate (1 %, `--false-accept` / `worker.falseAcceptRate`) and the gallery's N enrolled identities, the per-comparison false-match rate 1 − (1 − target)^(1/N), then the distance at that rate in the recognizer's `falseMatchCalibration` (models/manifest.json, written by `npm run bench:calibrate` from impostor pairs of these LFW pictures), interpolated in log10(rate) and clamped to the table. The \"what N counts\" row shows the measured false accept when N counts pictures instead.",
  "- `thresholds.cosineDistance` in the manifest: a fixed fallback for a recognizer without calibration (the best fixed threshold row shows where it would be set now).",
  "- Classifier (`thresholds.classifierConfidence`): the confidence with the best open-set accuracy on the LFW probes, steps of 0.01.",
  "- The LFW verification figure uses its own protocol (threshold chosen on the other folds), independent of these defaults.",
  "- The same LFW dev pictures serve calibration and measurement; the held-out private set checks them independently.",
  "",
  "## Enrollment refusals and no-face detections",
  "",
  "- Enrollment: each LFW gallery picture through the code of `facefleet enroll --recognizer ID` (recognition/enrollment.ts: YuNet at score 0.7, the plausibility check, the dominant-face rule and the quality check), counted by reason as `npm run bench:enrollment` counts them (bench/results/enrollment.md has the rule, its tuning and the label check). face_recognition's count is its knn example's rule, a picture with exactly one HOG face (`face_recognition_eval.py enrollment`).",
  "- No-face set: the pictures of test/fixtures/noface-set (PyPI wheels' pictures with no human face, testing/noface-set.ts), through each pipeline with the enroll command's detection settings: YuNet's detections at score 0.7 before the plausibility check and what is left after it; face_recognition's HOG detector (upsample 1) on the same files (`face_recognition_eval.py noface`). The detector is the same YuNet for every facefleet recognizer on x86, so these columns agree; bench/results/face-plausibility.md has the check's sweep, mirrored/grey/half-size variants and the real faces it costs.",
  "",
);
await writeFileAtomic("bench/results/accuracy.md", `${lines.join("\n")}\n`);
process.stdout.write(`${lines.join("\n")}\n`);
