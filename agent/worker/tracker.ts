import type { Box, RgbImage } from "../../recognition/image.js";
import { type MatchResult, UNKNOWN } from "../../recognition/match.js";
import { intersectionOverUnion } from "../../recognition/nms.js";
import type { TrackSettings } from "../config.js";
import { NameVote, voteWeight } from "./track-vote.js";

/** A face as a correction needs it: the aligned chip the recognizer saw and its embedding. */
export type FaceSample = { chip: RgbImage; embedding: Float32Array };

/**
 * One face of a frame, as the tracker sees it: its match is null when it was too small to be matched.
 * `sample` builds its FaceSample; called only when the face becomes its name's heaviest vote (track-vote.ts).
 */
export type FaceToTrack = { box: Box; score: number; match: MatchResult | null; sample?: () => FaceSample };

/** The tracker's answer for one face: which track it belongs to and what that track is called now. */
export type TrackedFace = { trackId: string; identity: string; distance?: number; confidence?: number };

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
};

type Track = {
  id: string;
  box: Box;
  firstSeq: number;
  lastSeq: number;
  lastCaptureTime: number;
  frames: number;
  vote: NameVote<FaceSample>;
  /** Names this track has been announced under (person_seen / unknown_person), each at most once. */
  announced: Set<string>;
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
 * Faces of one camera followed across frames by box overlap (greedy, highest IoU first), each track
 * named by a weighted vote over its frames (track-vote.ts). Faces too small to match join tracks
 * but never vote; they show the name their track earned from larger frames.
 *
 * Events, once per track: `person_seen` (or `unknown_person`) when the track has lasted
 * `minFramesToName` frames and has a vote leader — again only if the leader later changes to a
 * name not yet announced — and `person_left` when an announced track is lost: not seen for
 * `lostAfterMs` of capture time, or the camera went quiet (`sweep`), or the camera's sequence went
 * backwards (a replay after a restart or rebalance starts the camera afresh). A track announced
 * as a name on the watchlist also gets a `watchlist_hit`, right after its person_seen (so at most
 * once per track and name).
 */
export class CameraTracker {
  private tracks: Track[] = [];
  private lastSeq = -1;
  private lastUpdateWall = 0;

  constructor(
    readonly camera: string,
    private readonly settings: TrackSettings,
    private readonly newTrackId: () => string,
    /** Identity names whose person_seen is followed by a watchlist_hit. */
    private readonly watchlist: ReadonlySet<string> = new Set(),
  ) {}

  get openTracks(): number {
    return this.tracks.length;
  }

  update(
    seq: number,
    captureTime: number,
    faces: readonly FaceToTrack[],
    now = Date.now(),
  ): { faces: TrackedFace[]; events: TrackEvent[] } {
    const events: TrackEvent[] = [];
    if (seq <= this.lastSeq) events.push(...this.endAll());
    this.lastSeq = seq;
    this.lastUpdateWall = now;

    // Tracks not seen for lostAfterMs of the camera's own time have left.
    const lost = this.tracks.filter((t) => captureTime - t.lastCaptureTime > this.settings.lostAfterMs);
    for (const t of lost) events.push(...this.left(t));
    this.tracks = this.tracks.filter((t) => !lost.includes(t));

    // Greedy association by IoU.
    const pairs: { track: Track; face: number; overlap: number }[] = [];
    for (const track of this.tracks) {
      faces.forEach((face, index) => {
        const overlap = iou(track.box, face.box);
        if (overlap >= this.settings.iouThreshold) pairs.push({ track, face: index, overlap });
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
          announced: new Set(),
        };
        this.tracks.push(track);
      }
      track.box = face.box;
      track.lastSeq = seq;
      track.lastCaptureTime = captureTime;
      track.frames++;
      if (face.match) track.vote.add(face.match, voteWeight(face.box, face.score), face.sample);
      events.push(...this.announce(track));
      return this.named(track, face.match);
    });
    return { faces: result, events };
  }

  /**
   * The gallery changed: votes cast against the old one no longer count (a person enrolled just now
   * must not be outvoted by the Unknown votes of their own track). Announcements are kept.
   */
  resetVotes(): void {
    for (const track of this.tracks) track.vote = new NameVote<FaceSample>();
  }

  /** Ends the tracks of a camera that has sent nothing for lostAfterMs of wall time. */
  sweep(now = Date.now()): TrackEvent[] {
    if (this.tracks.length === 0 || now - this.lastUpdateWall <= this.settings.lostAfterMs) return [];
    return this.endAll();
  }

  end(): TrackEvent[] {
    return this.endAll();
  }

  private endAll(): TrackEvent[] {
    const events = this.tracks.flatMap((t) => this.left(t));
    this.tracks = [];
    return events;
  }

  private named(track: Track, match: MatchResult | null): TrackedFace {
    const leader = track.vote.leader();
    const out: TrackedFace = { trackId: track.id, identity: leader?.identity ?? UNKNOWN };
    // This frame's own distance/confidence, when it agrees with the track's name.
    if (match && match.identity === out.identity) {
      if ("distance" in match) out.distance = match.distance;
      if ("confidence" in match) out.confidence = match.confidence;
    }
    return out;
  }

  private announce(track: Track): TrackEvent[] {
    const leader = track.vote.leader();
    if (leader === undefined || track.frames < this.settings.minFramesToName || track.announced.has(leader.identity)) return [];
    // An Unknown track that later earns a name is announced under it; a named one never becomes "unknown_person".
    if (leader.identity === UNKNOWN && track.announced.size > 0) return [];
    track.announced.add(leader.identity);
    if (leader.identity === UNKNOWN) return [this.event(track, "unknown_person")];
    const seen = this.event(track, "person_seen");
    return this.watchlist.has(leader.identity) ? [seen, { ...seen, type: "watchlist_hit" }] : [seen];
  }

  private left(track: Track): TrackEvent[] {
    return track.announced.size > 0 ? [this.event(track, "person_left")] : [];
  }

  private event(track: Track, type: TrackEvent["type"]): TrackEvent {
    const leader = track.vote.leader();
    const event: TrackEvent = {
      type,
      trackId: track.id,
      identity: leader?.identity ?? UNKNOWN,
      firstSeq: track.firstSeq,
      lastSeq: track.lastSeq,
      box: boxTuple(track.box),
    };
    if (leader?.distance !== undefined) event.distance = Math.round(leader.distance * 1e4) / 1e4;
    if (leader?.confidence !== undefined) event.confidence = Math.round(leader.confidence * 1e4) / 1e4;
    if (type !== "person_left" && leader?.representative !== undefined) event.sample = leader.representative;
    return event;
  }
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
