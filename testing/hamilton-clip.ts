/**
 * The hand-labelled Hamilton clip (test/fixtures/hamilton-clip-labels.json) driven through the worker's
 * real FrameProcessor (pipeline, gallery match, tracker, events) without Kafka, and scored against the
 * labels: event precision and recall per visit, events per minute, and the named share of frames where
 * an enrolled person's face is larger than 40 px. Used by test/agent/tracks-and-visits.test.ts and
 * bench/tracks/run.ts.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import type { TrackSettings } from "../agent/config.js";
import { type AttributeStage, FrameProcessor, type GalleryView } from "../agent/worker/frame-processor.js";
import { Trackers } from "../agent/worker/tracker.js";
import type { DetectionFace } from "../protocol/detection.js";
import type { RecognitionEvent } from "../protocol/event.js";
import { topics } from "../protocol/topics.js";
import { embedEnrollmentSources } from "../recognition/enrollment.js";
import type { DetectedFace } from "../recognition/face.js";
import { emptyGallery, upsertIdentities } from "../recognition/gallery.js";
import type { RgbImage } from "../recognition/image.js";
import { GalleryMatcher, UNKNOWN } from "../recognition/match.js";
import type { DetectedFaces, RecognisedFace, RecognitionPipeline } from "../recognition/pipeline.js";
import { exampleImage, repoRoot, sharedDir } from "./paths.js";

const region = z.tuple([z.number(), z.number(), z.number(), z.number()]);
export const clipLabelsSchema = z.object({
  video: z.string().min(1),
  fps: z.number().positive(),
  frames: z.number().int().positive(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  spans: z.array(
    z.object({
      frames: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
      scene: z.string(),
      people: z.array(
        z.object({
          person: z.string().min(1),
          /** An enrolled identity's name, or "unknown". */
          identity: z.string().min(1),
          region,
          facePx: z.number().positive(),
          pose: z.string().optional(),
          /** A face in the dark or out of focus: events on it are neither right nor wrong, none is expected. */
          background: z.boolean().optional(),
        }),
      ),
    }),
  ),
});
export type ClipLabels = z.infer<typeof clipLabelsSchema>;
type LabelledPerson = ClipLabels["spans"][number]["people"][number];

export const ENROLLED = ["lin-manuel-miranda", "alex-lacamoire"] as const;
/** The named share counts frames where the enrolled person's face is larger than this (issue 11, the demo). */
export const NAMED_SHARE_MIN_FACE_PX = 40;

export function loadClipLabels(): ClipLabels {
  return clipLabelsSchema.parse(JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "hamilton-clip-labels.json"), "utf8")));
}

/** The clip's frames as the capture role sends them (ffmpeg `-vf fps=F`, MJPEG quality 5). */
export function clipFrames(labels: ClipLabels): Buffer[] {
  const dir = mkdtempSync(join(tmpdir(), "facefleet-clip-"));
  try {
    const video = join(sharedDir, labels.video);
    execFileSync("ffmpeg", ["-v", "error", "-i", video, "-an", "-vf", `fps=${labels.fps}`, "-q:v", "5", join(dir, "f%03d.jpg")]);
    const frames = readdirSync(dir)
      .sort()
      .map((f) => readFileSync(join(dir, f)));
    if (frames.length !== labels.frames) throw new Error(`ffmpeg gave ${frames.length} frames, the labels describe ${labels.frames}`);
    return frames;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The demo's gallery: the two sample people, at the recognizer's calibrated threshold. */
export async function demoGallery(pipeline: RecognitionPipeline): Promise<GalleryView> {
  const sources = ENROLLED.map((identity) => ({ identity, path: exampleImage(`${identity}.png`) }));
  const { identities, rejected } = await embedEnrollmentSources(pipeline, sources);
  if (rejected.length > 0) throw new Error(`enrollment refused ${rejected.map((r) => `${r.path}: ${r.reason}`).join("; ")}`);
  const gallery = upsertIdentities(emptyGallery(pipeline.recognizer), identities);
  return { matcher: new GalleryMatcher(gallery, pipeline.thresholds.cosineDistance), version: 1 };
}

/**
 * A pipeline that decodes and detects each distinct frame once and embeds each detected face at most once:
 * loops of the clip, and runs with other settings, replay the same detections and embeddings (whatever the
 * faces a run chooses to embed, each gets the embedding it would get alone in a run without the memo).
 */
export function memoisedPipeline(pipeline: RecognitionPipeline): RecognitionPipeline {
  const images = new Map<unknown, Promise<RgbImage>>();
  const detections = new Map<RgbImage, Promise<DetectedFaces>>();
  const recognised = new Map<DetectedFace, RecognisedFace>();
  const wrapped = Object.create(pipeline) as RecognitionPipeline;
  wrapped.decode = (input) => {
    let image = images.get(input);
    if (image === undefined) {
      image = pipeline.decode(input);
      images.set(input, image);
    }
    return image;
  };
  wrapped.detect = (image) => {
    let found = detections.get(image);
    if (found === undefined) {
      found = pipeline.detect(image);
      detections.set(image, found);
    }
    return found;
  };
  wrapped.recognise = async <F extends DetectedFace>(image: RgbImage, faces: readonly F[]) => {
    for (const face of faces) {
      if (recognised.has(face)) continue;
      const [done] = (await pipeline.recognise(image, [face])).faces;
      recognised.set(face, done as RecognisedFace);
    }
    return { faces: faces.map((face) => ({ ...face, ...(recognised.get(face) as RecognisedFace) })), timings: { align: 0, embed: 0 } };
  };
  return wrapped;
}

type ClipFaceResult = {
  trackId: string | null;
  identity: string;
  box: { x: number; y: number; width: number; height: number };
  attributes?: DetectionFace["attributes"];
};
/** One processed frame: which clip frame it was (`index`), its camera sequence number and its faces. */
export type ClipFrameResult = { index: number; seq: number; faces: ClipFaceResult[] };
/** An event with the sequence number of the frame that produced it (after the last frame: shutdown). */
export type EmittedEvent = { atSeq: number; event: RecognitionEvent };
/** `embeddings`: faces embedded and faces skipped (their track was named) over the run (ProcessedFrame.embeddings). */
export type ClipRun = {
  frames: ClipFrameResult[];
  events: EmittedEvent[];
  durationS: number;
  embeddings: { run: number; skipped: number };
  /** Faces whose attributes were estimated (ProcessedFrame.attributesRun), with `attributes` given. */
  attributesRun: number;
};

/**
 * The clip `loops` times on one camera through a FrameProcessor with `track` settings; capture time
 * advances 1/fps per frame. Open tracks end after the last frame (as at shutdown).
 */
export async function runClip(options: {
  pipeline: RecognitionPipeline;
  gallery: GalleryView;
  frames: readonly Buffer[];
  labels: ClipLabels;
  loops: number;
  track: TrackSettings;
  /** Attribute models and worker.attributes (for the camera `hamilton`); default none. */
  attributes?: AttributeStage;
}): Promise<ClipRun> {
  const { labels } = options;
  const trackers = new Trackers(options.track, "bench");
  const processor = new FrameProcessor(options.pipeline, options.gallery, trackers, "bench", false, options.attributes ?? null);
  const camera = "hamilton";
  const t0 = 1_700_000_000_000;
  const frameMs = 1000 / labels.fps;
  const records: ClipFrameResult[] = [];
  const events: EmittedEvent[] = [];
  const embeddings = { run: 0, skipped: 0 };
  let attributesRun = 0;
  let seq = 0;
  for (let loop = 0; loop < options.loops; loop++) {
    for (const [index, bytes] of options.frames.entries()) {
      seq++;
      const captureTime = Math.round(t0 + (seq - 1) * frameMs);
      const headers = {
        "schema-version": 1 as const,
        camera,
        seq,
        "capture-time": captureTime,
        width: labels.width,
        height: labels.height,
        format: "jpeg" as const,
        producer: "bench",
      };
      const out = await processor.process({ topic: topics.frames, partition: 0, offset: String(seq), headers, bytes }, captureTime);
      const faces = out.detection.faces.map(({ trackId, identity, box: [x, y, width, height], attributes }) => ({
        trackId,
        identity,
        box: { x, y, width, height },
        ...(attributes ? { attributes } : {}),
      }));
      attributesRun += out.attributesRun;
      records.push({ index, seq, faces });
      embeddings.run += out.embeddings.run;
      embeddings.skipped += out.embeddings.skipped;
      for (const event of out.events) events.push({ atSeq: seq, event });
    }
  }
  const end = Math.round(t0 + seq * frameMs);
  for (const { camera: cam, event } of trackers.endAll()) events.push({ atSeq: seq + 1, event: processor.stampEvent(cam, event, end) });
  return { frames: records, events, durationS: (seq * frameMs) / 1000, embeddings, attributesRun };
}

const peopleAt = (labels: ClipLabels, index: number): LabelledPerson[] =>
  labels.spans.filter((s) => s.frames[0] <= index && index <= s.frames[1]).flatMap((s) => s.people);

/** The labelled person whose region holds the box's centre (the nearest region centre when several do). */
function personOf(labels: ClipLabels, index: number, box: ClipFaceResult["box"]): LabelledPerson | undefined {
  const cx = box.x + box.width / 2;
  const cy = box.y + box.height / 2;
  let best: { person: LabelledPerson; d: number } | undefined;
  for (const person of peopleAt(labels, index)) {
    const [x0, y0, x1, y1] = person.region;
    if (cx < x0 || cx > x1 || cy < y0 || cy > y1) continue;
    const d = Math.hypot(cx - (x0 + x1) / 2, cy - (y0 + y1) / 2);
    if (best === undefined || d < best.d) best = { person, d };
  }
  return best?.person;
}

type Visit = { person: string; identity: string; first: number; last: number; announced: boolean; left: boolean };
const isBackground = (labels: ClipLabels, person: string) =>
  labels.spans.some((s) => s.people.some((p) => p.person === person && p.background));

export type ClipScore = {
  events: number;
  eventsPerMinute: number;
  byType: Record<string, number>;
  /**
   * Correct events over all events but those on background faces: the first right announcement of a true
   * visit, and its first person_left after it ended.
   */
  precision: number;
  announcementPrecision: number;
  /** True visits announced under the right name (Unknown for people not enrolled). */
  recall: number;
  /** True visits that got their person_left after they ended. */
  leftRecall: number;
  visits: { person: string; identity: string; firstSeq: number; lastSeq: number; announced: boolean; left: boolean }[];
  /** Per enrolled person: frames with the face larger than 40 px, and the share of them where the face was shown under the right name. */
  namedShare: Record<string, { frames: number; named: number; share: number }>;
  /** Announcements on tracks no labelled person explains (false detections, tracks no region holds); counted wrong. */
  unattributedAnnouncements: number;
  /** Events on tracks of background faces, left out of precision. */
  backgroundEvents: number;
};

/**
 * Scores a run against the labels. True visits: each labelled person's appearances (over the loops),
 * joined when they are at most `visitGapMs` apart, as the tracker joins them. A track belongs to the
 * labelled person whose region holds most of its faces' centres.
 */
export function scoreClipRun(run: ClipRun, labels: ClipLabels, visitGapMs: number): ClipScore {
  const frameMs = 1000 / labels.fps;
  // Which labelled person each track is.
  const votes = new Map<string, Map<string, number>>();
  for (const frame of run.frames) {
    for (const face of frame.faces) {
      if (face.trackId === null) continue;
      const person = personOf(labels, frame.index, face.box);
      if (person === undefined) continue;
      const tally = votes.get(face.trackId) ?? new Map<string, number>();
      tally.set(person.person, (tally.get(person.person) ?? 0) + 1);
      votes.set(face.trackId, tally);
    }
  }
  const personOfTrack = (trackId: string): string | undefined => {
    const tally = votes.get(trackId);
    if (tally === undefined) return undefined;
    return [...tally].sort((a, b) => b[1] - a[1])[0]?.[0];
  };

  // True visits from the labels.
  const identityOf = new Map<string, string>();
  const seen = new Map<string, number[]>();
  for (const frame of run.frames) {
    for (const person of peopleAt(labels, frame.index)) {
      identityOf.set(person.person, person.identity);
      const list = seen.get(person.person) ?? [];
      list.push(frame.seq);
      seen.set(person.person, list);
    }
  }
  const visits: Visit[] = [];
  for (const [person, seqs] of seen) {
    if (isBackground(labels, person)) continue;
    let current: Visit | undefined;
    for (const seq of seqs) {
      if (current === undefined || (seq - current.last) * frameMs > visitGapMs) {
        current = { person, identity: identityOf.get(person) as string, first: seq, last: seq, announced: false, left: false };
        visits.push(current);
      } else current.last = seq;
    }
  }
  const visitAt = (person: string, seq: number) => visits.find((v) => v.person === person && v.first <= seq && seq <= v.last);
  const lastVisitBefore = (person: string, seq: number) =>
    visits.filter((v) => v.person === person && v.first <= seq).sort((a, b) => b.first - a.first)[0];

  let correct = 0;
  let announcements = 0;
  let correctAnnouncements = 0;
  let unattributed = 0;
  let background = 0;
  const byType: Record<string, number> = {};
  for (const { atSeq, event } of run.events) {
    byType[event.type] = (byType[event.type] ?? 0) + 1;
    const person = personOfTrack(event.trackId);
    if (person !== undefined && isBackground(labels, person)) {
      background++;
      continue;
    }
    if (event.type === "person_seen" || event.type === "unknown_person") {
      announcements++;
      if (person === undefined) {
        unattributed++;
        continue;
      }
      const visit = visitAt(person, atSeq) ?? lastVisitBefore(person, atSeq);
      const expected = visit?.identity === "unknown" ? UNKNOWN : visit?.identity;
      if (visit !== undefined && !visit.announced && event.identity === expected) {
        visit.announced = true;
        correct++;
        correctAnnouncements++;
      }
    } else if (event.type === "person_left") {
      if (person === undefined) continue;
      const visit = lastVisitBefore(person, atSeq);
      if (visit?.announced && !visit.left && atSeq > visit.last) {
        visit.left = true;
        correct++;
      }
    }
  }

  const namedShare: ClipScore["namedShare"] = {};
  for (const name of ENROLLED) namedShare[name] = { frames: 0, named: 0, share: 0 };
  for (const frame of run.frames) {
    for (const person of peopleAt(labels, frame.index)) {
      const share = namedShare[person.identity];
      if (share === undefined || person.facePx <= NAMED_SHARE_MIN_FACE_PX) continue;
      share.frames++;
      const named = frame.faces.some((f) => f.identity === person.identity && personOf(labels, frame.index, f.box) === person);
      if (named) share.named++;
    }
  }
  for (const share of Object.values(namedShare)) share.share = share.frames === 0 ? 0 : share.named / share.frames;

  const total = run.events.length;
  const judged = total - background;
  return {
    events: total,
    eventsPerMinute: total / (run.durationS / 60),
    byType,
    precision: judged === 0 ? 0 : correct / judged,
    announcementPrecision: announcements === 0 ? 0 : correctAnnouncements / announcements,
    recall: visits.length === 0 ? 0 : visits.filter((v) => v.announced).length / visits.length,
    leftRecall: visits.length === 0 ? 0 : visits.filter((v) => v.left).length / visits.length,
    visits: visits.map((v) => ({
      person: v.person,
      identity: v.identity,
      firstSeq: v.first,
      lastSeq: v.last,
      announced: v.announced,
      left: v.left,
    })),
    namedShare,
    unattributedAnnouncements: unattributed,
    backgroundEvents: background,
  };
}
