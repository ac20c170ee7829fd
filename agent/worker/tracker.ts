import type { FaceAttributes } from "../../recognition/attributes/attribute-model.js";
import type { Box, Point, RgbImage } from "../../recognition/image.js";
import { cosineDistance, type FaceMatcher, GalleryMatcher, type MatchResult, UNKNOWN } from "../../recognition/match.js";
import { intersectionOverUnion } from "../../recognition/nms.js";
import type { TrackSettings } from "../config.js";
import { faceWeight } from "./face-weight.js";
import { confidentDecision, mayReuseIdentity } from "./recognise-once.js";
import { TrackEvidence } from "./track-evidence.js";
import { NameVote, voteWeight } from "./track-vote.js";
import { EndedVisits } from "./visits.js";

/** A face as a correction needs it: the aligned chip the recognizer saw and its embedding. */
export type FaceSample = { chip: RgbImage; embedding: Float32Array };

/** A detected face before recognition: where it is, how sure the detector is, its five landmarks. */
export type FaceBox = { box: Box; score: number; landmarks?: [Point, Point, Point, Point, Point] };

/**
 * One face of a frame, as the tracker sees it: its match (and embedding) is null when it was too small
 * to be matched, or not embedded in this frame (its track is named: embeddingsNeeded). `sample` builds its FaceSample; called only when the face becomes its track's (or, with
 * `frame-vote` naming, its name's) heaviest face. `landmarks` (YuNet's five) weigh the face's pose;
 * without them it counts as frontal.
 */
export type FaceToTrack = {
  box: Box;
  score: number;
  match: MatchResult | null;
  embedding?: Float32Array | null;
  landmarks?: [Point, Point, Point, Point, Point];
  sample?: () => FaceSample;
  /** Attributes estimated on this face in this frame (attributesNeeded); the track keeps the first it is given. */
  attributes?: FaceAttributes;
};

/** The tracker's answer for one face: which track it belongs to and what that track is called now. */
export type TrackedFace = { trackId: string; identity: string; distance?: number; confidence?: number; attributes?: FaceAttributes };

/** A track event before the worker stamps camera, agent and time on it (protocol/event.ts). */
export type TrackEvent = {
  type: "person_seen" | "person_left" | "unknown_person" | "watchlist_hit";
  trackId: string;
  identity: string;
  distance?: number;
  confidence?: number;
  firstSeq: number;
  lastSeq: number;
  box: [number, number, number, number];
  /** person_seen / unknown_person / watchlist_hit: the face of the heaviest vote for the announced name. */
  sample?: FaceSample;
  /** The track's attributes, when they were estimated (worker.attributes). */
  attributes?: FaceAttributes;
};

/** What a track is called now, and on how much evidence (`track` naming: the evidence weight when matched). */
type Decision = { identity: string; distance?: number; confidence?: number; weight: number; representative?: FaceSample };

type Track = {
  id: string;
  box: Box;
  firstSeq: number;
  lastSeq: number;
  lastCaptureTime: number;
  frames: number;
  /** `frame-vote` naming only. */
  vote: NameVote<FaceSample>;
  /** The track's best faces and their aggregate embedding (both namings: an Unknown's return is found by it). */
  evidence: TrackEvidence<FaceSample>;
  decision: Decision | undefined;
  /** The embedding of its latest face that had one (the step gate, maxStepDistanceRatio). */
  lastEmbedding: Float32Array | undefined;
  /** Face weight of that face, and the frames in a row since with a face but no embedding (recognise-once.ts). */
  lastEmbeddedWeight: number;
  skippedInRow: number;
  /** The gallery changed since the decision: match the aggregate again. */
  stale: boolean;
  /** Names this track's visit has been announced under (person_seen / unknown_person), each at most once. */
  announced: Set<string>;
  /** Its attributes (worker.attributes), from the first face they were estimated on. */
  attributes: FaceAttributes | undefined;
};

/** Box overlap used to follow a face from frame to frame (the detector's own NMS measure). */
export const iou = intersectionOverUnion;

const boxTuple = (b: Box): [number, number, number, number] => [
  Math.round(b.x * 10) / 10,
  Math.round(b.y * 10) / 10,
  Math.round(b.width * 10) / 10,
  Math.round(b.height * 10) / 10,
];

/**
 * Faces of one camera followed across frames by box overlap (greedy, highest IoU first). With
 * `track` naming (the default) a track is named by matching the weighted mean embedding of its
 * heaviest faces (track-evidence.ts; weight: face-weight.ts) once it has `minFramesToName` frames and
 * `minWeightToName` evidence, and matched again when its evidence has grown `redecideGain` times
 * (clearly better faces) or the gallery changed. With `frame-vote` naming each frame's match votes
 * (track-vote.ts). Faces too small to match join tracks but add no evidence; every face shows the
 * name its track has now.
 *
 * Events, once per visit: `person_seen` (or `unknown_person`) when the track is first named — again
 * only if it is later named as someone not yet announced — and `person_left` when the visit ends. A
 * track is lost when not seen for `lostAfterMs` of capture time, or the camera went quiet (`sweep`),
 * or the camera's sequence went backwards (a replay after a restart or rebalance starts the camera
 * afresh). A lost announced track's visit waits `visitGapMs` (visits.ts): a new track on this camera
 * named the same (an Unknown: aggregate within `unknownRejoinRatio` × the gallery threshold of the lost
 * one's) continues it,
 * takes over its track id and announces nothing already announced; else the gap runs out and
 * person_left is sent. The same holds for a track not lost yet but missing from the frame in which a
 * new track is named as it (a face that jumped too far for the boxes to overlap). A face never joins
 * a track whose last embedding is more than `maxStepDistanceRatio` × the gallery threshold from its
 * own (a scene cut that puts another person in the same place). A name on the watchlist also gets a `watchlist_hit`, right after its
 * person_seen (so at most once per visit and name).
 */
export class CameraTracker {
  private tracks: Track[] = [];
  private readonly visits: EndedVisits<TrackEvent>;
  private lastSeq = -1;
  private lastUpdateWall = 0;

  constructor(
    readonly camera: string,
    private readonly settings: TrackSettings,
    private readonly newTrackId: () => string,
    /** Identity names whose person_seen is followed by a watchlist_hit. */
    private readonly watchlist: ReadonlySet<string> = new Set(),
  ) {
    this.visits = new EndedVisits(settings.visitGapMs);
  }

  get openTracks(): number {
    return this.tracks.length;
  }

  /** Ended visits still waiting for their person to return. */
  get heldVisits(): number {
    return this.visits.size;
  }

  /**
   * One frame's faces. `matcher` (the gallery this frame was matched against) names tracks with
   * `track` naming; without it only `frame-vote` naming can name them.
   */
  update(
    seq: number,
    captureTime: number,
    faces: readonly FaceToTrack[],
    matcher?: FaceMatcher,
    now = Date.now(),
  ): { faces: TrackedFace[]; events: TrackEvent[] } {
    const events: TrackEvent[] = [];
    if (seq <= this.lastSeq) events.push(...this.endAll());
    this.lastSeq = seq;
    this.lastUpdateWall = now;

    // Tracks not seen for lostAfterMs of the camera's own time have left; visits whose gap ran out end.
    const lost = this.tracks.filter((t) => captureTime - t.lastCaptureTime > this.settings.lostAfterMs);
    for (const t of lost) events.push(...this.lose(t));
    this.tracks = this.tracks.filter((t) => !lost.includes(t));
    for (const visit of this.visits.expire(captureTime)) events.push(visit.left);

    // Greedy association by IoU, never across a step in embedding too large for one person.
    const threshold = galleryThreshold(matcher);
    const maxStep =
      threshold === undefined || this.settings.maxStepDistanceRatio === 0 ? undefined : threshold * this.settings.maxStepDistanceRatio;
    const pairs: { track: Track; face: number; overlap: number }[] = [];
    for (const track of this.tracks) {
      faces.forEach((face, index) => {
        const overlap = iou(track.box, face.box);
        if (overlap < this.settings.iouThreshold) return;
        if (maxStep !== undefined && face.embedding && track.lastEmbedding && cosineDistance(face.embedding, track.lastEmbedding) > maxStep)
          return;
        pairs.push({ track, face: index, overlap });
      });
    }
    pairs.sort((a, b) => b.overlap - a.overlap);
    const trackOf = new Map<number, Track>();
    const taken = new Set<Track>();
    for (const pair of pairs) {
      if (trackOf.has(pair.face) || taken.has(pair.track)) continue;
      trackOf.set(pair.face, pair.track);
      taken.add(pair.track);
    }

    const result = faces.map((face, index) => {
      let track = trackOf.get(index);
      if (track === undefined) {
        track = {
          id: this.newTrackId(),
          box: face.box,
          firstSeq: seq,
          lastSeq: seq,
          lastCaptureTime: captureTime,
          frames: 0,
          vote: new NameVote<FaceSample>(),
          evidence: new TrackEvidence<FaceSample>(this.settings.evidenceFaces),
          decision: undefined,
          lastEmbedding: undefined,
          lastEmbeddedWeight: 0,
          skippedInRow: 0,
          stale: false,
          announced: new Set(),
          attributes: undefined,
        };
        this.tracks.push(track);
      }
      track.box = face.box;
      track.lastSeq = seq;
      track.lastCaptureTime = captureTime;
      track.frames++;
      const byTrack = this.settings.naming === "track";
      if (face.embedding) {
        track.lastEmbedding = face.embedding;
        const weight = weightOf(face);
        track.evidence.add(face.embedding, weight, byTrack ? face.sample : undefined);
        track.lastEmbeddedWeight = weight;
        track.skippedInRow = 0;
      } else track.skippedInRow++;
      if (face.attributes && track.attributes === undefined) track.attributes = face.attributes;
      if (!byTrack && face.match) track.vote.add(face.match, voteWeight(face.box, face.score), face.sample);
      this.decide(track, matcher);
      events.push(...this.announce(track, matcher, taken));
      const named = this.named(track, face.match);
      return track.attributes ? { ...named, attributes: track.attributes } : named;
    });
    return { faces: result, events };
  }

  /**
   * Which of this frame's faces need an embedding, before `update` (recognise once per track,
   * recognise-once.ts). A face needs none only when it can follow exactly one track that no other face of
   * the frame can follow (so `update` pairs them whatever the other faces' embeddings say), that track's
   * decision under `track` naming against `matcher` (the gallery `update` will get) is clear
   * (confidentDecision), and mayReuseIdentity allows it. Everything else (a new track, an uncertain one,
   * crowded boxes, a sequence that went backwards) is embedded.
   */
  embeddingsNeeded(seq: number, captureTime: number, faces: readonly FaceBox[], matcher?: FaceMatcher): boolean[] {
    const policy = this.settings.recogniseOnce;
    if (!policy.enabled || this.settings.naming !== "track" || seq <= this.lastSeq) return faces.map(() => true);
    const live = this.tracks.filter((t) => captureTime - t.lastCaptureTime <= this.settings.lostAfterMs);
    const candidates = faces.map((face) => live.filter((t) => iou(t.box, face.box) >= this.settings.iouThreshold));
    const threshold = galleryThreshold(matcher);
    const followers = new Map<Track, number>();
    for (const list of candidates) for (const t of list) followers.set(t, (followers.get(t) ?? 0) + 1);
    return faces.map((face, index) => {
      const list = candidates[index] ?? [];
      const track = list[0];
      if (list.length !== 1 || track === undefined || followers.get(track) !== 1) return true;
      const confident = !track.stale && confidentDecision(track.decision, UNKNOWN, threshold, policy.margin);
      return !mayReuseIdentity({ ...track, confident }, { box: face.box, weight: weightOf(face) }, policy);
    });
  }

  /**
   * Which of this frame's faces need their attributes estimated, before `update` (once per track,
   * worker.attributes): all but those that can follow exactly one live track, which no other face of the
   * frame can follow, and that already has attributes. A sequence that went backwards ends every track: all.
   */
  attributesNeeded(seq: number, captureTime: number, faces: readonly FaceBox[]): boolean[] {
    if (seq <= this.lastSeq) return faces.map(() => true);
    const live = this.tracks.filter((t) => captureTime - t.lastCaptureTime <= this.settings.lostAfterMs);
    const candidates = faces.map((face) => live.filter((t) => iou(t.box, face.box) >= this.settings.iouThreshold));
    const followers = new Map<Track, number>();
    for (const list of candidates) for (const t of list) followers.set(t, (followers.get(t) ?? 0) + 1);
    return candidates.map((list) => {
      const track = list[0];
      return !(list.length === 1 && track !== undefined && followers.get(track) === 1 && track.attributes !== undefined);
    });
  }

  /**
   * The gallery changed: `frame-vote` votes cast against the old one no longer count (a person
   * enrolled just now must not be outvoted by the Unknown votes of their own track); `track` naming
   * matches each track's aggregate again on its next frame. Announcements are kept.
   */
  resetVotes(): void {
    for (const track of this.tracks) {
      track.vote = new NameVote<FaceSample>();
      track.stale = true;
    }
  }

  /**
   * A camera that has sent nothing for lostAfterMs of wall time: its tracks are lost (their visits
   * wait); after visitGapMs of silence the visits end too.
   */
  sweep(now = Date.now()): TrackEvent[] {
    const quiet = now - this.lastUpdateWall;
    const events: TrackEvent[] = [];
    if (this.tracks.length > 0 && quiet > this.settings.lostAfterMs) {
      for (const t of this.tracks) events.push(...this.lose(t));
      this.tracks = [];
    }
    if (this.visits.size > 0 && quiet > this.settings.visitGapMs) for (const visit of this.visits.flush()) events.push(visit.left);
    return events;
  }

  end(): TrackEvent[] {
    return this.endAll();
  }

  /** Every track and held visit ends now: person_left for each announced one. */
  private endAll(): TrackEvent[] {
    const events = this.visits.flush().map((v) => v.left);
    for (const t of this.tracks) if (t.announced.size > 0) events.push(this.event(t, "person_left"));
    this.tracks = [];
    return events;
  }

  /** A lost track: an announced one's visit waits visitGapMs for a return, or ends now (gap 0). */
  private lose(track: Track): TrackEvent[] {
    if (track.announced.size === 0) return [];
    const left = this.event(track, "person_left");
    if (this.settings.visitGapMs === 0) return [left];
    this.visits.hold({
      id: track.id,
      firstSeq: track.firstSeq,
      identity: track.decision?.identity ?? UNKNOWN,
      aggregate: track.evidence.aggregate(),
      announced: track.announced,
      lastCaptureTime: track.lastCaptureTime,
      left,
    });
    return [];
  }

  /** Names the track (or names it again) when its evidence allows; see the class comment. */
  private decide(track: Track, matcher: FaceMatcher | undefined): void {
    if (this.settings.naming === "frame-vote") {
      const leader = track.vote.leader();
      track.decision = leader && { ...leader };
      return;
    }
    const { evidence } = track;
    const aggregate = evidence.aggregate();
    if (matcher === undefined || aggregate === undefined) return;
    if (track.frames < this.settings.minFramesToName || evidence.weight < this.settings.minWeightToName) return;
    const previous = track.decision;
    if (previous !== undefined && !track.stale && evidence.weight < previous.weight * this.settings.redecideGain) return;
    const match = matcher.match(aggregate);
    const decision: Decision = { identity: match.identity, weight: evidence.weight };
    if ("distance" in match) decision.distance = match.distance;
    if ("confidence" in match) decision.confidence = match.confidence;
    const representative = evidence.representative();
    if (representative !== undefined) decision.representative = representative;
    track.decision = decision;
    track.stale = false;
  }

  private named(track: Track, match: MatchResult | null): TrackedFace {
    const { decision } = track;
    const out: TrackedFace = { trackId: track.id, identity: decision?.identity ?? UNKNOWN };
    // `track` naming: the distance/confidence that named the track. `frame-vote`: this frame's own, when it agrees.
    const source = this.settings.naming === "track" ? decision : match && match.identity === out.identity ? match : undefined;
    if (source && "distance" in source && source.distance !== undefined) out.distance = source.distance;
    if (source && "confidence" in source && source.confidence !== undefined) out.confidence = source.confidence;
    return out;
  }

  /** `joined`: the tracks a face of this frame joined (never taken over, even before their face is processed). */
  private announce(track: Track, matcher: FaceMatcher | undefined, joined: ReadonlySet<Track>): TrackEvent[] {
    const identity = track.decision?.identity;
    if (identity === undefined || track.frames < this.settings.minFramesToName || track.announced.has(identity)) return [];
    // An Unknown track that later earns a name is announced under it; a named one never becomes "unknown_person".
    if (identity === UNKNOWN && track.announced.size > 0) return [];
    // A new track's first announcement is where a return is recognised: it continues the visit (its id,
    // first frame and announcements) of a track of the same person missing from this frame (the face
    // jumped too far for the boxes to overlap), else of an ended visit within the gap. A track that has
    // announced under its own id keeps it, so every announced id gets its person_left.
    if (track.announced.size === 0) {
      const threshold = galleryThreshold(matcher);
      const unknownDistance = threshold === undefined ? undefined : threshold * this.settings.unknownRejoinRatio;
      const missing = this.takeMissing(track, identity, unknownDistance, joined);
      const ended = missing ? undefined : this.visits.take(identity, track.evidence.aggregate(), unknownDistance);
      const visit = missing ?? (ended && { ...ended, attributes: ended.left.attributes });
      if (visit !== undefined) {
        // The visit keeps the attributes it was announced with (the track id's, once per visit).
        if (visit.attributes !== undefined) track.attributes = visit.attributes;
        track.id = visit.id;
        track.firstSeq = visit.firstSeq;
        track.announced = visit.announced;
        if (track.announced.has(identity)) return [];
      }
    }
    track.announced.add(identity);
    if (identity === UNKNOWN) return [this.event(track, "unknown_person")];
    const seen = this.event(track, "person_seen");
    return this.watchlist.has(identity) ? [seen, { ...seen, type: "watchlist_hit" }] : [seen];
  }

  /**
   * An announced track named `identity` (an Unknown: aggregate within `threshold`) that is missing from
   * this frame, removed without a person_left: `track` is the same person, found again.
   */
  private takeMissing(
    track: Track,
    identity: string,
    threshold: number | undefined,
    joined: ReadonlySet<Track>,
  ): { id: string; firstSeq: number; announced: Set<string>; attributes: FaceAttributes | undefined } | undefined {
    const aggregate = track.evidence.aggregate();
    const missing = this.tracks.filter((t) => {
      if (t === track || joined.has(t) || t.lastSeq >= track.lastSeq || t.announced.size === 0 || t.decision?.identity !== identity)
        return false;
      if (identity !== UNKNOWN) return true;
      const other = t.evidence.aggregate();
      return threshold !== undefined && aggregate !== undefined && other !== undefined && cosineDistance(aggregate, other) <= threshold;
    });
    const latest = missing.sort((a, b) => b.lastSeq - a.lastSeq)[0];
    if (latest === undefined) return undefined;
    this.tracks = this.tracks.filter((t) => t !== latest);
    return latest;
  }

  private event(track: Track, type: TrackEvent["type"]): TrackEvent {
    const { decision } = track;
    const event: TrackEvent = {
      type,
      trackId: track.id,
      identity: decision?.identity ?? UNKNOWN,
      firstSeq: track.firstSeq,
      lastSeq: track.lastSeq,
      box: boxTuple(track.box),
    };
    if (decision?.distance !== undefined) event.distance = Math.round(decision.distance * 1e4) / 1e4;
    if (decision?.confidence !== undefined) event.confidence = Math.round(decision.confidence * 1e4) / 1e4;
    if (type !== "person_left" && decision?.representative !== undefined) event.sample = decision.representative;
    if (track.attributes !== undefined) event.attributes = track.attributes;
    return event;
  }
}

/** Landmarks of a face that came without them: counted as frontal. */
const FRONTAL: [Point, Point, Point, Point, Point] = [
  { x: 0, y: 0 },
  { x: 1, y: 0 },
  { x: 0.5, y: 0.5 },
  { x: 0, y: 1 },
  { x: 1, y: 1 },
];

/** A face's evidence weight (face-weight.ts); without landmarks it counts as frontal. */
const weightOf = (face: FaceBox): number => faceWeight(face.box, face.score, face.landmarks ?? FRONTAL);

/**
 * The gallery's distance threshold (distance matchers only): the unit of the Unknown rejoin distance and
 * of the step gate.
 */
function galleryThreshold(matcher: FaceMatcher | undefined): number | undefined {
  return matcher instanceof GalleryMatcher ? matcher.threshold : undefined;
}

/** One tracker per camera, track ids unique across agents and restarts (`<prefix>-<n>`). */
export class Trackers {
  private readonly byCamera = new Map<string, CameraTracker>();
  private counter = 0;
  private readonly watchlist: ReadonlySet<string>;

  constructor(
    private readonly settings: TrackSettings,
    private readonly idPrefix: string,
    /** Identity names that raise a watchlist_hit (worker.watchlist). */
    watchlist: Iterable<string> = [],
  ) {
    this.watchlist = new Set(watchlist);
  }

  for(camera: string): CameraTracker {
    let tracker = this.byCamera.get(camera);
    if (tracker === undefined) {
      tracker = new CameraTracker(camera, this.settings, () => `${this.idPrefix}-${++this.counter}`, this.watchlist);
      this.byCamera.set(camera, tracker);
    }
    return tracker;
  }

  resetVotes(): void {
    for (const tracker of this.byCamera.values()) tracker.resetVotes();
  }

  /** Ends every open track (shutdown): person_left for the announced ones. */
  endAll(): { camera: string; event: TrackEvent }[] {
    return [...this.byCamera].flatMap(([camera, tracker]) => tracker.end().map((event) => ({ camera, event })));
  }

  /** person_left for every camera that went quiet, with its camera. */
  sweep(now = Date.now()): { camera: string; event: TrackEvent }[] {
    const out: { camera: string; event: TrackEvent }[] = [];
    for (const [camera, tracker] of this.byCamera) for (const event of tracker.sweep(now)) out.push({ camera, event });
    return out;
  }
}
