/**
 * Enrollment on LFW: which pictures `facefleet enroll` refuses before (exactly one face) and after the dominant-face
 * rule and the face quality check (recognition/dominant-face.ts, recognition/face-quality.ts), and why; whether the
 * face it enrolls is the labelled person; the area ratio k of the rule swept; the quality limits checked on the same
 * faces blurred and shrunk. Data: the shared LFW dev gallery.tsv (the headline) and probes.tsv (more pictures with
 * background faces, for tuning k). Detection runs with the enroll command's defaults.
 *
 * Who is the labelled person: LFW's pictures are centred on them, so the face whose box holds the picture's centre;
 * and the recognizer (`--recognizer`, SFace by default, the most accurate here) must match the enrolled face to the
 * labelled faces of the person's other pictures at its calibrated threshold. The recognizer's own misses are the
 * same check on pictures with one face, quoted beside.
 *
 *   npm run bench:enrollment [-- --threads 1 --recognizer sface-2021dec-opt]
 * Writes bench/results/enrollment.json and bench/results/enrollment.md.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import sharp from "sharp";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { decodeImage } from "../../recognition/decode.js";
import { chooseEnrollmentFace, DEFAULT_DOMINANT_FACE_RULE } from "../../recognition/dominant-face.js";
import { DEFAULT_QUALITY_LIMITS, faceQuality } from "../../recognition/face-quality.js";
import type { RgbImage } from "../../recognition/image.js";
import { type AnalysedFace, RecognitionPipeline } from "../../recognition/pipeline.js";
import { REFUSAL_TEXT } from "../support/enrollment-refusals.js";
import { machineDescription } from "../support/machine.js";
import { examplesDir, lfwGallery, lfwProbes, useBenchModels } from "../support/shared-data.js";

useBenchModels();
const { values } = parseArgs({
  options: {
    threads: { type: "string", default: "1" },
    recognizer: { type: "string", default: "sface-2021dec-opt" },
    out: { type: "string", default: "bench/results/enrollment" },
  },
});
const threads = Number(values.threads);
const pipeline = await RecognitionPipeline.load({ executionProvider: "cpu", precision: "fp32", threads, recognizer: values.recognizer });
const threshold = pipeline.thresholds.cosineDistance;

type Picture = { path: string; identity: string; set: "gallery" | "probes"; width: number; height: number; faces: AnalysedFace[] };
const area = (f: AnalysedFace) => f.box.width * f.box.height;
const holdsCentre = (p: Picture, f: AnalysedFace) =>
  f.box.x <= p.width / 2 && p.width / 2 <= f.box.x + f.box.width && f.box.y <= p.height / 2 && p.height / 2 <= f.box.y + f.box.height;
const distance = (a: Float32Array, b: Float32Array) => {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += (a[i] as number) * (b[i] as number);
  return 1 - dot;
};

// --- analyse every picture once ---
const rows = [
  ...lfwGallery().map((r) => ({ ...r, set: "gallery" as const })),
  ...lfwProbes().map((r) => ({ ...r, set: "probes" as const })),
];
const pictures: Picture[] = [];
const images = new Map<string, RgbImage>();
const started = Date.now();
for (const [i, row] of rows.entries()) {
  const { image, faces } = await pipeline.analyse(row.path);
  pictures.push({ path: row.path, identity: row.identity, set: row.set, width: image.width, height: image.height, faces });
  if (faces.length > 0) images.set(row.path, image);
  if ((i + 1) % 500 === 0 || i + 1 === rows.length) process.stderr.write(`analysed ${i + 1}/${rows.length} pictures\n`);
}
const analyseSeconds = (Date.now() - started) / 1000;

/** The labelled face of each picture: the one holding the centre (nearest the centre when several do). */
const labelled = new Map<string, AnalysedFace>();
for (const p of pictures) {
  const central = p.faces
    .filter((f) => holdsCentre(p, f) && f.embedding)
    .sort(
      (a, b) =>
        Math.hypot(a.box.x + a.box.width / 2 - p.width / 2, a.box.y + a.box.height / 2 - p.height / 2) -
        Math.hypot(b.box.x + b.box.width / 2 - p.width / 2, b.box.y + b.box.height / 2 - p.height / 2),
    )[0];
  if (central) labelled.set(p.path, central);
}
const byIdentity = new Map<string, Picture[]>();
for (const p of pictures) byIdentity.set(p.identity, [...(byIdentity.get(p.identity) ?? []), p]);
/** Nearest distance from a face to the labelled faces of the person's other pictures; null when there are none. */
function nearestOther(p: Picture, face: AnalysedFace): number | null {
  if (!face.embedding) return null;
  let best: number | null = null;
  for (const other of byIdentity.get(p.identity) ?? []) {
    const reference = other.path === p.path ? undefined : labelled.get(other.path);
    if (!reference?.embedding) continue;
    const d = distance(face.embedding, reference.embedding);
    if (best === null || d < best) best = d;
  }
  return best;
}

// --- before and after, per set ---
type Outcome = { accepted: boolean; reason: string };
const before = (p: Picture): Outcome => {
  const [face] = p.faces;
  if (!face) return { accepted: false, reason: "no face found" };
  if (p.faces.length > 1) return { accepted: false, reason: "several faces" };
  if (!face.embedding) return { accepted: false, reason: "too small to recognise" };
  return { accepted: true, reason: "" };
};
function after(p: Picture, rule = DEFAULT_DOMINANT_FACE_RULE) {
  const image = images.get(p.path) ?? { data: new Uint8Array(3), width: p.width, height: p.height };
  return chooseEnrollmentFace(image, p.faces, { rule });
}

type Check = { checked: number; central: number; notCentral: number; recognizerChecked: number; recognizerMatched: number };
const newCheck = (): Check => ({ checked: 0, central: 0, notCentral: 0, recognizerChecked: 0, recognizerMatched: 0 });
function check(c: Check, p: Picture, face: AnalysedFace) {
  c.checked++;
  if (labelled.get(p.path) === face || holdsCentre(p, face)) c.central++;
  else c.notCentral++;
  const d = nearestOther(p, face);
  if (d !== null) {
    c.recognizerChecked++;
    if (d <= threshold) c.recognizerMatched++;
  }
}
const faceOf = (p: Picture, accepted: { face: { box: AnalysedFace["box"] } }) =>
  p.faces.find((f) => f.box === accepted.face.box) as AnalysedFace;

function summarise(set: Picture[]) {
  const reasonsBefore: Record<string, number> = {};
  const reasonsAfter: Record<string, number> = {};
  let acceptedBefore = 0;
  let acceptedAfter = 0;
  let withBackground = 0;
  const single = newCheck();
  const dominant = newCheck();
  /** Faces refused as too small, blurred or turned: would the recognizer have matched them anyway? */
  const refusedForQuality = newCheck();
  const refusedExamples: { image: string; reason: string }[] = [];
  for (const p of set) {
    const was = before(p);
    if (was.accepted) acceptedBefore++;
    else reasonsBefore[was.reason] = (reasonsBefore[was.reason] ?? 0) + 1;
    const now = after(p);
    if (now.accepted) {
      acceptedAfter++;
      const face = faceOf(p, now);
      if (now.ignored.length > 0) {
        withBackground++;
        check(dominant, p, face);
      } else check(single, p, face);
    } else {
      if (now.refusal !== "ambiguous" && now.refusal !== "no-face") {
        const largest = [...p.faces].sort((x, y) => area(y) - area(x))[0];
        if (largest) check(refusedForQuality, p, largest);
      }
      const key = REFUSAL_TEXT[now.refusal];
      reasonsAfter[key] = (reasonsAfter[key] ?? 0) + 1;
      if (refusedExamples.length < 40) refusedExamples.push({ image: p.path.replace(/.*lfw_dev\//, ""), reason: now.reason });
    }
  }
  return {
    pictures: set.length,
    before: { accepted: acceptedBefore, refused: set.length - acceptedBefore, reasons: reasonsBefore },
    after: {
      accepted: acceptedAfter,
      refused: set.length - acceptedAfter,
      reasons: reasonsAfter,
      acceptedWithBackgroundFaces: withBackground,
    },
    labelCheck: { oneFace: single, dominantFace: dominant, refusedForQuality },
    refusedAfter: refusedExamples,
  };
}
const gallerySet = pictures.filter((p) => p.set === "gallery");
const probeSet = pictures.filter((p) => p.set === "probes");
const sets = { gallery: summarise(gallerySet), probes: summarise(probeSet) };

// --- the area ratio k, swept on every picture with several faces ---
const several = pictures.filter((p) => p.faces.length > 1);
const ratios = several.map((p) => {
  const [a, b] = [...p.faces].sort((x, y) => area(y) - area(x));
  return area(a as AnalysedFace) / area(b as AnalysedFace);
});
const centreDistance = (p: Picture, f: AnalysedFace) =>
  Math.hypot(f.box.x + f.box.width / 2 - p.width / 2, f.box.y + f.box.height / 2 - p.height / 2);
const severalFaces = several.map((p, i) => {
  const bySize = [...p.faces].sort((x, y) => area(y) - area(x));
  const largest = bySize[0] as AnalysedFace;
  const nearest = [...p.faces].sort((x, y) => centreDistance(p, x) - centreDistance(p, y))[0];
  const d = nearestOther(p, largest);
  const offset = (f: AnalysedFace) =>
    Math.max(Math.abs(f.box.x + f.box.width / 2 - p.width / 2) / p.width, Math.abs(f.box.y + f.box.height / 2 - p.height / 2) / p.height);
  const second = bySize[1] as AnalysedFace;
  const cut = (f: AnalysedFace) =>
    f.box.x < 1 || f.box.y < 1 || f.box.x + f.box.width > p.width - 1 || f.box.y + f.box.height > p.height - 1;
  return {
    image: p.path.replace(/.*lfw_dev\//, ""),
    faces: p.faces.length,
    ratio: Number((ratios[i] as number).toFixed(3)),
    largestHoldsCentre: holdsCentre(p, largest),
    largestNearestCentre: nearest === largest,
    largestDistanceToOtherPictures: d === null ? null : Number(d.toFixed(4)),
    largestOffset: Number(offset(largest).toFixed(3)),
    nextOffset: Number(offset(second).toFixed(3)),
    nextCutByBorder: cut(second),
    nextHoldsCentre: holdsCentre(p, second),
  };
});
const twoPeople = await pipeline.analyse(join(examplesDir, "examples", "two_people.jpg"));
const [tp1, tp2] = [...twoPeople.faces].sort((x, y) => area(y) - area(x));
const twoPeopleRatio = tp1 && tp2 ? area(tp1) / area(tp2) : null;
const sweep = [1.25, 1.5, 1.75, 2, 2.5, 3, 4, 6].map((k) => {
  const rule = { ...DEFAULT_DOMINANT_FACE_RULE, minAreaRatio: k };
  const c = newCheck();
  let accepted = 0;
  let galleryAccepted = 0;
  for (const p of several) {
    const now = after(p, rule);
    if (!now.accepted) continue;
    accepted++;
    if (p.set === "gallery") galleryAccepted++;
    check(c, p, faceOf(p, now));
  }
  return { k, accepted, galleryAccepted, ...c, refusesTwoPeople: twoPeopleRatio !== null && twoPeopleRatio < k };
});

// --- the yaw limit, swept on the faces the rule chooses (gallery and probes) ---
const chosen = pictures.flatMap((p) => {
  const now = chooseEnrollmentFace(images.get(p.path) ?? { data: new Uint8Array(3), width: p.width, height: p.height }, p.faces, {
    quality: { ...DEFAULT_QUALITY_LIMITS, yaw: { reject: Number.POSITIVE_INFINITY, full: DEFAULT_QUALITY_LIMITS.yaw.full } },
  });
  return now.accepted ? [{ p, face: faceOf(p, now), yaw: Math.abs(now.quality.pose.yaw) }] : [];
});
const yawSweep = [0.3, 0.35, 0.4, 0.45, 0.5, 0.6].map((limit) => {
  const c = newCheck();
  for (const { p, face, yaw } of chosen) if (yaw >= limit) check(c, p, face);
  return { limit, refused: c.checked, recognizerChecked: c.recognizerChecked, recognizerMatched: c.recognizerMatched };
});

// --- quality limits: the same one-face gallery faces blurred and shrunk ---
const sample = gallerySet.filter((p) => p.faces.length === 1 && after(p).accepted).filter((_, i) => i % 4 === 0);
const degraded: { change: string; pictures: number; detected: number; refused: Record<string, number>; medianScore: number }[] = [];
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[Math.floor(s.length / 2)] as number);
};
const changes: { change: string; apply: (path: string, face: AnalysedFace) => Promise<Buffer> }[] = [
  { change: "none", apply: (path) => sharp(path).png().toBuffer() },
  ...[1, 2, 3].map((sigma) => ({
    change: `Gaussian blur sigma ${sigma}`,
    apply: (path: string) => sharp(path).blur(sigma).png().toBuffer(),
  })),
  ...[60, 40, 30].map((px) => ({
    change: `shrunk to a ${px} px face`,
    apply: async (path: string, face: AnalysedFace) => {
      const meta = await sharp(path).metadata();
      const scale = px / Math.min(face.box.width, face.box.height);
      return sharp(path)
        .resize(Math.round((meta.width ?? 250) * scale))
        .png()
        .toBuffer();
    },
  })),
];
for (const { change, apply } of changes) {
  const refused: Record<string, number> = {};
  const scores: number[] = [];
  let detected = 0;
  for (const p of sample) {
    const original = p.faces[0] as AnalysedFace;
    const image = await decodeImage(await apply(p.path, original));
    const faces = await pipeline.detector.detect(image);
    const face = [...faces].sort((a, b) => area(b as AnalysedFace) - area(a as AnalysedFace))[0];
    if (!face) {
      refused["no face found"] = (refused["no face found"] ?? 0) + 1;
      continue;
    }
    detected++;
    const quality = faceQuality(image, face);
    scores.push(quality.score);
    const [worst] = quality.issues;
    if (worst) refused[REFUSAL_TEXT[worst.kind]] = (refused[REFUSAL_TEXT[worst.kind]] ?? 0) + 1;
  }
  degraded.push({ change, pictures: sample.length, detected, refused, medianScore: Number(median(scores).toFixed(3)) });
}

// --- quality of the faces enrolled from the gallery ---
const enrolledQuality = gallerySet.flatMap((p) => {
  const now = after(p);
  return now.accepted ? [now.quality] : [];
});
const percentiles = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (q: number) => Number((s[Math.min(s.length - 1, Math.floor(q * s.length))] as number).toFixed(3));
  return { p5: at(0.05), p50: at(0.5), p95: at(0.95) };
};
const qualityDistribution = {
  score: percentiles(enrolledQuality.map((q) => q.score)),
  sizePixels: percentiles(enrolledQuality.map((q) => q.sizePixels)),
  sharpness: percentiles(enrolledQuality.map((q) => q.sharpness)),
  yaw: percentiles(enrolledQuality.map((q) => Math.abs(q.pose.yaw))),
  pitch: percentiles(enrolledQuality.map((q) => q.pose.pitch)),
  rollDegrees: percentiles(enrolledQuality.map((q) => Math.abs(q.pose.rollDegrees))),
};

const command = `npm run bench:enrollment -- --threads ${threads} --recognizer ${values.recognizer}`;
const report = {
  generatedAt: new Date().toISOString(),
  command,
  machine: machineDescription(),
  models: pipeline.describe(),
  detection: { scoreThreshold: pipeline.detector.settings.scoreThreshold, maxSide: pipeline.detector.settings.maxSide },
  recognizerThreshold: threshold,
  rule: DEFAULT_DOMINANT_FACE_RULE,
  qualityLimits: DEFAULT_QUALITY_LIMITS,
  analyseSeconds,
  sets,
  kSweep: {
    picturesWithSeveralFaces: several.length,
    twoPeopleRatio,
    rows: sweep,
    ratioPercentiles: percentiles(ratios),
    pictures: severalFaces,
  },
  yawSweep,
  degraded,
  qualityDistribution,
};
await writeFileAtomic(`${values.out}.json`, `${JSON.stringify(report, null, 2)}\n`);

// --- markdown ---
const pct = (n: number, d: number) => (d === 0 ? "n/a" : `${((100 * n) / d).toFixed(1)} %`);
const reasons = (r: Record<string, number>) =>
  Object.entries(r)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${v} ${k}`)
    .join(", ") || "none";
const g = sets.gallery;
const lines = [
  "# Enrollment: pictures refused, before and after the dominant-face rule",
  "",
  `Generated ${report.generatedAt} by \`${command}\` on ${report.machine.cpu} (${report.machine.cores} cores), onnxruntime ${report.machine.onnxruntime}. Detection as \`facefleet enroll\` runs it (score ≥ ${report.detection.scoreThreshold}, longest side ${report.detection.maxSide}); recognizer for the identity check: ${values.recognizer} at its calibrated cosine distance ${threshold}.`,
  "",
  `Rule (recognition/dominant-face.ts): one face is enrolled as it is; with several, the largest is enrolled when its box area is ≥ ${DEFAULT_DOMINANT_FACE_RULE.minAreaRatio}× the next face's and it is the face nearest the picture's centre, and the others are reported as ignored background faces; otherwise the picture is refused as ambiguous. The enrolled face must then pass the quality check (recognition/face-quality.ts): ≥ ${DEFAULT_QUALITY_LIMITS.size.reject} px, sharpness > ${DEFAULT_QUALITY_LIMITS.sharpness.reject}, |yaw| < ${DEFAULT_QUALITY_LIMITS.yaw.reject}, |pitch − frontal| < ${DEFAULT_QUALITY_LIMITS.pitch.reject}.`,
  "",
  "## Refused pictures",
  "",
  "| set | pictures | refused before (exactly one face) | refused after | before: why | after: why | accepted with background faces ignored |",
  "|---|---|---|---|---|---|---|",
  ...Object.entries(sets).map(
    ([name, s]) =>
      `| ${name}.tsv | ${s.pictures} | ${s.before.refused} (${pct(s.before.refused, s.pictures)}) | ${s.after.refused} (${pct(s.after.refused, s.pictures)}) | ${reasons(s.before.reasons)} | ${reasons(s.after.reasons)} | ${s.after.acceptedWithBackgroundFaces} |`,
  ),
  "",
  "## Is the enrolled face the labelled person?",
  "",
  `LFW's pictures are centred on the labelled person: "central" is the enrolled face's box holding the picture's centre. "Recognizer" is the enrolled face within ${threshold} of the labelled face of one of the person's other pictures (only people with another picture in gallery.tsv ∪ probes.tsv). The one-face pictures are the baseline: what the recognizer misses on faces that are certainly right.`,
  "",
  "| set | enrolled from | pictures | central | not central (false accept) | recognizer checked | recognizer matched |",
  "|---|---|---|---|---|---|---|",
  ...Object.entries(sets).flatMap(([name, s]) =>
    (
      [
        ["one face", s.labelCheck.oneFace],
        ["dominant face, others ignored", s.labelCheck.dominantFace],
        ["(refused: too small, blurred or turned)", s.labelCheck.refusedForQuality],
      ] as const
    ).map(
      ([what, c]) =>
        `| ${name}.tsv | ${what} | ${c.checked} | ${c.central} | ${c.notCentral} | ${c.recognizerChecked} | ${c.recognizerMatched} (${pct(c.recognizerMatched, c.recognizerChecked)}) |`,
    ),
  ),
  "",
  `## The area ratio k (${several.length} pictures with several faces, gallery and probes)`,
  "",
  `Largest-to-next area ratio of those pictures: 5th percentile ${report.kSweep.ratioPercentiles.p5}, median ${report.kSweep.ratioPercentiles.p50}, 95th ${report.kSweep.ratioPercentiles.p95}; two_people.jpg (face_recognition's example of two people): ${twoPeopleRatio?.toFixed(2)}.`,
  "",
  "| k | accepted (of which gallery) | not central | recognizer matched / checked | refuses two_people.jpg |",
  "|---|---|---|---|---|",
  ...sweep.map(
    (r) =>
      `| ${r.k}${r.k === DEFAULT_DOMINANT_FACE_RULE.minAreaRatio ? " (default)" : ""} | ${r.accepted} (${r.galleryAccepted}) | ${r.notCentral} | ${r.recognizerMatched} / ${r.recognizerChecked} (${pct(r.recognizerMatched, r.recognizerChecked)}) | ${r.refusesTwoPeople ? "yes" : "no"} |`,
  ),
  "",
  `## The yaw limit (${chosen.length} faces the rule chooses, gallery and probes, before the yaw check)`,
  "",
  "| refuse when abs(yaw) ≥ | faces refused | of those, recognizer matched / checked |",
  "|---|---|---|",
  ...yawSweep.map(
    (r) =>
      `| ${r.limit}${r.limit === DEFAULT_QUALITY_LIMITS.yaw.reject ? " (default)" : ""} | ${r.refused} | ${r.recognizerMatched} / ${r.recognizerChecked} |`,
  ),
  "",
  `## Quality check on the same faces degraded (${sample.length} one-face gallery pictures, every 4th)`,
  "",
  "| change | faces detected | refused, by the first reason | median quality score |",
  "|---|---|---|---|",
  ...degraded.map((d) => `| ${d.change} | ${d.detected} / ${d.pictures} | ${reasons(d.refused)} | ${d.medianScore} |`),
  "",
  "## Quality of the faces enrolled from gallery.tsv (5th / 50th / 95th percentile)",
  "",
  "| score | size px | sharpness | abs(yaw) | pitch | abs(roll) degrees |",
  "|---|---|---|---|---|---|",
  `| ${Object.values(qualityDistribution)
    .map((p) => `${p.p5} / ${p.p50} / ${p.p95}`)
    .join(" | ")} |`,
  "",
  `Analysing the ${rows.length} pictures took ${analyseSeconds.toFixed(0)} s (${threads} thread${threads === 1 ? "" : "s"}).`,
  "",
];
await writeFileAtomic(`${values.out}.md`, lines.join("\n"));
process.stdout.write(
  `wrote ${values.out}.json and .md: gallery refused ${g.before.refused} before, ${g.after.refused} after; ${g.after.acceptedWithBackgroundFaces} accepted with background faces ignored, ${g.labelCheck.dominantFace.notCentral} not central\n`,
);
