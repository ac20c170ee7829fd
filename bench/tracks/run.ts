/**
 * One identity per track, one event per visit: the hand-labelled Hamilton clip
 * (test/fixtures/hamilton-clip-labels.json) looped on one camera at 5 fps through the worker's real
 * FrameProcessor (YuNet + recognizer, the demo's gallery of two, tracker, events; no Kafka), once with
 * main's logic before this change (`frame-vote` naming, no visit gap) and once with the defaults
 * (`track` naming, visitGapMs 10 s), on the same analyses. Reports event precision and recall against
 * the labels, events per minute and the named share of frames where an enrolled face is > 40 px.
 *
 *   npm run build && node dist/bench/tracks/run.js [--loops 8] [--recognizer ID] [--threads 1]
 *
 * Writes bench/results/tracks.json and bench/results/tracks.md (tracks-<recognizer>.* with --recognizer).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { type TrackSettings, trackSettingsSchema } from "../../agent/config.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import {
  type ClipScore,
  clipFrames,
  demoGallery,
  loadClipLabels,
  memoisedPipeline,
  NAMED_SHARE_MIN_FACE_PX,
  runClip,
  scoreClipRun,
} from "../../testing/hamilton-clip.js";
import { repoRoot, useTestModels } from "../../testing/paths.js";
import { machineDescription } from "../support/machine.js";

const { values } = parseArgs({
  options: {
    loops: { type: "string", default: "8" },
    recognizer: { type: "string" },
    threads: { type: "string", default: "1" },
  },
});
const loops = Number(values.loops);
if (!Number.isInteger(loops) || loops < 1) throw new Error("--loops must be a whole number ≥ 1");

useTestModels();
const pipeline = await RecognitionPipeline.load({
  threads: Number(values.threads),
  ...(values.recognizer ? { recognizer: values.recognizer } : {}),
});
const recognizer = pipeline.describe().find((m) => m.role === "recognizer")?.model ?? "unknown";
const labels = loadClipLabels();
const frames = clipFrames(labels);
const gallery = await demoGallery(pipeline);
const cached = memoisedPipeline(pipeline);

const after = trackSettingsSchema.parse({});
const configs: { name: string; what: string; track: TrackSettings }[] = [
  {
    name: "before",
    what: "main before this change: every frame matched, weighted name vote per track, one visit per track",
    track: trackSettingsSchema.parse({ naming: "frame-vote", visitGapMs: 0, maxStepDistanceRatio: 0 }),
  },
  {
    name: "after",
    what: `defaults: track naming (best ${after.evidenceFaces} faces, min weight ${after.minWeightToName}), visitGapMs ${after.visitGapMs}`,
    track: after,
  },
];

const results: { name: string; what: string; track: TrackSettings; score: ClipScore }[] = [];
for (const config of configs) {
  const run = await runClip({ pipeline: cached, gallery, frames, labels, loops, track: config.track });
  // Same truth for both: visits joined by the default gap.
  const score = scoreClipRun(run, labels, after.visitGapMs);
  results.push({ ...config, score });
  process.stderr.write(
    `${config.name}: ${score.events} events, precision ${score.precision.toFixed(3)}, recall ${score.recall.toFixed(3)}\n`,
  );
}

const machine = machineDescription();
const command = `node dist/bench/tracks/run.js --loops ${loops}${values.recognizer ? ` --recognizer ${values.recognizer}` : ""} --threads ${values.threads}`;
const seconds = (loops * labels.frames) / labels.fps;
const stem = values.recognizer ? `tracks-${values.recognizer}` : "tracks";
writeFileSync(
  join(repoRoot, "bench", "results", `${stem}.json`),
  `${JSON.stringify({ command, machine, recognizer, threshold: pipeline.thresholds.cosineDistance, loops, seconds, results }, null, 2)}\n`,
);

const pct = (v: number) => `${(v * 100).toFixed(1)} %`;
const [before, afterResult] = results as [(typeof results)[number], (typeof results)[number]];
const row = (label: string, f: (s: ClipScore) => string) => `| ${label} | ${f(before.score)} | ${f(afterResult.score)} |`;
const share = (s: ClipScore, who: string) => {
  const v = s.namedShare[who];
  return v ? `${pct(v.share)} (${v.named}/${v.frames})` : "—";
};
const md = [
  "# Tracks and visits: the Hamilton clip",
  "",
  `\`${command}\` (after \`npm run build\`), ${machine.cpu} (${machine.cores} cores), node ${machine.node}, onnxruntime ${machine.onnxruntime}. Recognizer \`${recognizer}\`, its calibrated threshold; gallery: the demo's two people.`,
  `The clip (${labels.frames} frames at ${labels.fps} fps, hand-labelled in test/fixtures/hamilton-clip-labels.json) looped ${loops} times on one camera = ${seconds} s,`,
  "through the worker's FrameProcessor (same detections and embeddings for both columns). The demo runs two such cameras.",
  "",
  "Truth: each labelled person's appearances joined into one visit when at most 10 s apart (the clip loops, so each person is one visit",
  "over the whole run). An event is correct when it is the first announcement of a true visit under the right name (Unknown for people",
  "not enrolled), or that visit's first person_left after it ended; duplicates, wrong names and events on unlabelled faces are not.",
  "",
  `| | before (${before.what}) | after (${afterResult.what}) |`,
  "|---|---|---|",
  row("events", (s) => String(s.events)),
  row("events per minute", (s) => s.eventsPerMinute.toFixed(1)),
  row(
    "person_seen / unknown_person / person_left",
    (s) => `${s.byType.person_seen ?? 0} / ${s.byType.unknown_person ?? 0} / ${s.byType.person_left ?? 0}`,
  ),
  row("event precision", (s) => pct(s.precision)),
  row("announcement precision", (s) => pct(s.announcementPrecision)),
  row("visit recall (announced, right name)", (s) => `${pct(s.recall)} (${s.visits.filter((v) => v.announced).length}/${s.visits.length})`),
  row("visit end recall (person_left)", (s) => pct(s.leftRecall)),
  row("announcements on unlabelled faces (wrong)", (s) => String(s.unattributedAnnouncements)),
  row("events on background faces (not judged)", (s) => String(s.backgroundEvents)),
  row(`Lin-Manuel Miranda named, frames with face > ${NAMED_SHARE_MIN_FACE_PX} px`, (s) => share(s, "lin-manuel-miranda")),
  row(`Alex Lacamoire named, frames with face > ${NAMED_SHARE_MIN_FACE_PX} px (profile)`, (s) => share(s, "alex-lacamoire")),
  "",
  "Visits (after):",
  "",
  "| person | identity | announced | person_left |",
  "|---|---|---|---|",
  ...afterResult.score.visits.map((v) => `| ${v.person} | ${v.identity} | ${v.announced ? "yes" : "no"} | ${v.left ? "yes" : "no"} |`),
  "",
];
writeFileSync(join(repoRoot, "bench", "results", `${stem}.md`), md.join("\n"));
