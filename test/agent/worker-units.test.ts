/**
 * The inference worker's pieces without a broker: config validation, frame admission, DLQ records,
 * gallery records, the tracker and its vote, stats.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { parseAgentConfig } from "../../agent/config.js";
import { deadLetterMessage } from "../../agent/worker/dead-letter.js";
import { admitFrame } from "../../agent/worker/frame-intake.js";
import { WorkerStats } from "../../agent/worker/stats.js";
import { NameVote, voteWeight } from "../../agent/worker/track-vote.js";
import { CameraTracker, iou } from "../../agent/worker/tracker.js";
import { dlqHeadersSchema } from "../../protocol/dlq-record.js";
import { encodeFrameHeaders } from "../../protocol/frame-headers.js";
import { decodeGalleryRecord, encodeGalleryRecord, galleryTombstone } from "../../protocol/gallery-record.js";
import { UNKNOWN } from "../../recognition/match.js";
import { trackedFace, trackSettings } from "../support/track-fixtures.js";

test("config: defaults, and one-line errors that name the field", () => {
  const config = parseAgentConfig({ agentId: "pi-1" });
  assert.equal(config.kafka.clientId, "facefleet-agent-pi-1");
  assert.deepEqual(config.kafka.brokers, ["127.0.0.1:9092"]);
  assert.equal(config.roles.inference, true);
  assert.deepEqual(config.roles.capture, []);
  assert.equal(config.worker.groupId, "facefleet-inference");
  assert.equal(config.worker.annotated, "on-demand");
  assert.equal(config.worker.track.iouThreshold, 0.3);
  assert.equal(config.gallery.topic, "facefleet.gallery");
  assert.equal(config.recognition.minFaceSize, 20);
  assert.equal(parseAgentConfig({ agentId: "a", kafka: { clientId: "mine" } }).kafka.clientId, "mine");

  const error = (json: unknown) => {
    try {
      parseAgentConfig(json, "agent config x.json");
    } catch (e) {
      return (e as Error).message;
    }
    return "no error";
  };
  assert.match(error({}), /^agent config x\.json: agentId: /);
  assert.match(error({ agentId: "bad id" }), /agentId: must be 1-64 letters/);
  assert.match(error({ agentId: "a", worker: { maxFrameAgeMs: -1 } }), /^agent config x\.json: worker\.maxFrameAgeMs: /);
  assert.match(error({ agentId: "a", worker: { track: { iouThreshold: 2 } } }), /worker\.track\.iouThreshold/);
  assert.match(error({ agentId: "a", kafka: { brokers: ["nohost"] } }), /kafka\.brokers\.0: must be host:port/);
  assert.match(error({ agentId: "a", worker: { bogus: 1 } }), /worker: .*bogus/i);
  assert.match(error({ agentId: "a", roles: { inference: false } }), /roles: the agent has no role/);
  assert.match(error({ agentId: "a", worker: { sessionTimeoutMs: 3000, maxWaitMs: 2000 } }), /worker\.maxWaitMs: must be at most half/);
  assert.equal(parseAgentConfig({ agentId: "a", worker: { maxWaitMs: 2000 } }).worker.maxWaitMs, 2000);
});

const jpegHeaders = (seq: number, captureTime = Date.now()) =>
  encodeFrameHeaders({ camera: "door", seq, "capture-time": captureTime, width: 64, height: 48, format: "jpeg", producer: "test" });

test("admission: size first, then headers, key = camera, empty value, age", () => {
  const limits = { maxFrameBytes: 100, maxFrameAgeMs: 1000, maxFramePixels: 64 * 48 };
  const now = 1_700_000_000_000;
  const good = { offset: "7", key: Buffer.from("door"), value: Buffer.alloc(50), headers: jpegHeaders(3, now - 10) };
  const ok = admitFrame("facefleet.frames", 2, good, limits, now);
  assert.equal(ok.kind, "frame");
  assert.equal(ok.kind === "frame" && ok.frame.headers.seq, 3);

  const big = admitFrame("t", 0, { ...good, value: Buffer.alloc(101) }, limits, now);
  assert.deepEqual(big.kind === "reject" && [big.stage, big.reason], ["size", "frame is 101 bytes, more than the limit of 100"]);
  const none = admitFrame("t", 0, { ...good, headers: {} }, limits, now);
  assert.equal(none.kind === "reject" && none.stage, "headers");
  assert.match(none.kind === "reject" ? none.reason : "", /^invalid frame header /);
  const badSeq = admitFrame("t", 0, { ...good, headers: { ...good.headers, seq: "-4" } }, limits, now);
  assert.match(badSeq.kind === "reject" ? badSeq.reason : "", /seq/);
  const wrongKey = admitFrame("t", 0, { ...good, key: Buffer.from("garage") }, limits, now);
  assert.match(wrongKey.kind === "reject" ? wrongKey.reason : "", /record key 'garage' is not the camera header 'door'/);
  const empty = admitFrame("t", 0, { ...good, value: null }, limits, now);
  assert.deepEqual(empty.kind === "reject" && empty.stage, "decode");
  const stale = admitFrame("t", 0, { ...good, headers: jpegHeaders(3, now - 5000) }, limits, now);
  assert.equal(stale.kind, "stale");
  assert.equal(stale.kind === "stale" && stale.ageMs, 5000);
  assert.equal(admitFrame("t", 0, { ...good, headers: jpegHeaders(3, now - 5000) }, { ...limits, maxFrameAgeMs: 0 }, now).kind, "frame");
});

test("DLQ record: reason and origin as valid headers, original bytes cut to the limit, frame headers kept", () => {
  const value = Buffer.alloc(3000, 7);
  const message = deadLetterMessage(
    { topic: "facefleet.frames", partition: 1, offset: "42", key: Buffer.from("door"), value, headers: jpegHeaders(9) },
    { stage: "size", reason: "too big" },
    "pi-1",
    1024,
    1_700_000_000_000,
  );
  const headers = Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const parsed = dlqHeadersSchema.parse(headers);
  assert.equal(parsed.reason, "too big");
  assert.equal(parsed["source-offset"], "42");
  assert.equal(parsed["source-partition"], 1);
  assert.equal(headers.truncated, "true");
  assert.equal(headers["original-size"], "3000");
  assert.equal(headers["frame.seq"], "9");
  assert.equal((message.value as Buffer).length, 1024);
});

test("gallery record: round trip, tombstone, and one-line errors", () => {
  const vector = new Float32Array([0.6, 0.8]);
  const recognizer = { family: "f", modelId: "m", embeddingSize: 2 };
  const { key, value } = encodeGalleryRecord({ name: "ada", embeddings: [{ vector, source: "ada.jpg" }] }, recognizer);
  assert.equal(key, "ada");
  const change = decodeGalleryRecord(Buffer.from(key), Buffer.from(value));
  assert.equal(change.kind, "upsert");
  if (change.kind === "upsert") {
    assert.deepEqual(Array.from(change.identity.embeddings[0]?.vector ?? []), Array.from(vector));
    assert.deepEqual(change.recognizer, recognizer);
  }
  const tomb = galleryTombstone("ada");
  assert.deepEqual(decodeGalleryRecord(Buffer.from(tomb.key), tomb.value), { kind: "delete", name: "ada" });
  assert.throws(() => decodeGalleryRecord(Buffer.from("bob"), Buffer.from(value)), /key 'bob' does not match its name 'ada'/);
  assert.throws(() => decodeGalleryRecord(Buffer.from("ada"), Buffer.from("{")), /not JSON/);
  assert.throws(() => decodeGalleryRecord(null, Buffer.from(value)), /without a key/);
  const short = JSON.stringify({ ...JSON.parse(value), recognizer: { ...recognizer, embeddingSize: 3 } });
  assert.throws(
    () => decodeGalleryRecord(Buffer.from("ada"), Buffer.from(short)),
    /embeddings\.0\.vector: vector has 2 values, expected 3/,
  );
});

const settings = trackSettings;
const face = trackedFace;

test("vote: weight is face size times score; ties go to Unknown", () => {
  assert.equal(voteWeight({ x: 0, y: 0, width: 100, height: 100 }, 0.5), 50);
  const vote = new NameVote();
  vote.add({ identity: "ada", distance: 0.05 }, 10);
  vote.add({ identity: UNKNOWN, distance: 0.2 }, 10);
  assert.equal(vote.leader()?.identity, UNKNOWN);
  vote.add({ identity: "ada", distance: 0.03 }, 1);
  assert.deepEqual(vote.leader(), { identity: "ada", weight: 11, frames: 2, distance: 0.03 });
  assert.ok(iou({ x: 0, y: 0, width: 10, height: 10 }, { x: 5, y: 0, width: 10, height: 10 }) - 1 / 3 < 1e-9);
});

test("tracker: one bad frame doesn't flip a name; events once per track; left after lostAfterMs", () => {
  let n = 0;
  const tracker = new CameraTracker("door", settings, () => `t${++n}`);
  const t0 = 1_000_000;
  const r1 = tracker.update(1, t0, [face(100, 80, "ada")]);
  assert.deepEqual(r1.faces, [{ trackId: "t1", identity: "ada", distance: 0.05 }]);
  assert.deepEqual(r1.events, [], "not announced before minFramesToName frames");
  const r2 = tracker.update(2, t0 + 100, [face(104, 80, "ada")]);
  assert.deepEqual(
    r2.events.map((e) => [e.type, e.identity, e.trackId, e.firstSeq, e.lastSeq]),
    [["person_seen", "ada", "t1", 1, 2]],
  );
  // A small, blurry frame that matches someone else: the track stays ada (and this frame's distance is not hers).
  const r3 = tracker.update(3, t0 + 200, [face(106, 76, "bob", 0.6, 0.07)]);
  assert.deepEqual(r3.faces, [{ trackId: "t1", identity: "ada" }]);
  assert.deepEqual(r3.events, []);
  // A face too small to match joins the track, shows its name, and does not vote.
  const r4 = tracker.update(4, t0 + 300, [face(108, 78, null)]);
  assert.deepEqual(r4.faces, [{ trackId: "t1", identity: "ada" }]);
  // A second person far away is a new track; an unmatched-only track is never announced.
  const r5 = tracker.update(5, t0 + 400, [face(110, 80, "ada"), face(400, 15, null)]);
  assert.deepEqual(
    r5.faces.map((f) => [f.trackId, f.identity]),
    [
      ["t1", "ada"],
      ["t2", UNKNOWN],
    ],
  );
  const r6 = tracker.update(6, t0 + 500, [face(400, 15, null)]);
  assert.deepEqual(r6.events, []);
  // ada not seen for more than lostAfterMs of capture time: person_left, once.
  const r7 = tracker.update(7, t0 + 2600, [face(400, 15, null)]);
  assert.deepEqual(
    r7.events.map((e) => [e.type, e.identity, e.trackId, e.lastSeq]),
    [["person_left", "ada", "t1", 5]],
  );
  assert.equal(tracker.update(8, t0 + 2700, []).events.length, 0);
});

test("tracker: unknown_person, then a name after a gallery change; replay and quiet cameras end tracks", () => {
  let n = 0;
  const tracker = new CameraTracker("door", settings, () => `t${++n}`);
  const t0 = 5_000_000;
  tracker.update(10, t0, [face(100, 80, UNKNOWN)]);
  const r2 = tracker.update(11, t0 + 100, [face(100, 80, UNKNOWN)]);
  assert.deepEqual(
    r2.events.map((e) => [e.type, e.identity]),
    [["unknown_person", UNKNOWN]],
  );
  tracker.resetVotes(); // the gallery learned who this is
  const r3 = tracker.update(12, t0 + 200, [face(100, 80, "cy")]);
  assert.deepEqual(
    r3.events.map((e) => [e.type, e.identity]),
    [["person_seen", "cy"]],
  );
  assert.equal(r3.faces[0]?.identity, "cy");
  // The camera's sequence goes back (a replay): the open track ends, a new one starts.
  const r4 = tracker.update(5, t0 + 300, [face(100, 80, "cy")]);
  assert.deepEqual(
    r4.events.map((e) => [e.type, e.trackId]),
    [["person_left", "t1"]],
  );
  assert.equal(r4.faces[0]?.trackId, "t2");
  tracker.update(6, t0 + 400, [face(100, 80, "cy")]);
  assert.deepEqual(tracker.sweep(Date.now()), [], "a camera that just sent a frame is not quiet");
  assert.deepEqual(
    tracker.sweep(Date.now() + 10_000).map((e) => [e.type, e.trackId]),
    [["person_left", "t2"]],
  );
});

test("stats: counters and per-stage percentiles", () => {
  const stats = new WorkerStats("pi-1", 100, 10_000);
  const now = 1_000_000;
  for (let i = 1; i <= 100; i++) {
    stats.frameIn();
    stats.frameOut({ total: i, detect: i / 2 }, i % 2 === 0, i === 1 ? 2 : 0, now);
  }
  stats.stale("door");
  stats.deadLettered("decode");
  const s = stats.snapshot(now);
  assert.equal(s.framesIn, 100);
  assert.equal(s.framesOut, 100);
  assert.equal(s.annotatedOut, 50);
  assert.equal(s.eventsOut, 2);
  assert.deepEqual(s.latencyMs.total, { p50: 50, p95: 95 });
  assert.deepEqual(s.latencyMs.detect, { p50: 25, p95: 47.5 });
  assert.deepEqual(s.skippedStaleByCamera, { door: 1 });
  assert.equal(s.dlqByStage.decode, 1);
  assert.equal(s.fpsOut, 10);
  assert.match(stats.summary(now), /frames 100 in \/ 100 out/);
});
