/**
 * Without a broker: the watchlist (a watchlist_hit once per track and name, right after its
 * person_seen; never for Unknown or names off the list), the FrameProcessor's event records for it,
 * and the capture role's config (defaults, one-line errors naming the field).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { cameraSpec } from "../../agent/capture/capture-role.js";
import { parseAgentConfig } from "../../agent/config.js";
import { CameraTracker, Trackers } from "../../agent/worker/tracker.js";
import { recognitionEventSchema } from "../../protocol/event.js";
import { UNKNOWN } from "../../recognition/match.js";
import { trackedFace, trackSettings } from "../support/track-fixtures.js";

const settings = trackSettings;
const face = trackedFace;

test("watchlist: a watchlisted name's track gets one watchlist_hit right after its person_seen", () => {
  let n = 0;
  const tracker = new CameraTracker("door", settings, () => `t${++n}`, new Set(["ada"]));
  const t0 = 1_000_000;
  assert.deepEqual(tracker.update(1, t0, [face(100, 80, "ada"), face(400, 80, "bob")]).events, []);
  const r2 = tracker.update(2, t0 + 100, [face(102, 80, "ada"), face(402, 80, "bob")]);
  assert.deepEqual(
    r2.events.map((e) => [e.type, e.identity, e.trackId]),
    [
      ["person_seen", "ada", "t1"],
      ["watchlist_hit", "ada", "t1"],
      ["person_seen", "bob", "t2"],
    ],
  );
  const [seen, hit] = r2.events;
  assert.deepEqual({ ...hit, type: "person_seen" }, seen, "the hit carries the same track, seqs, box and distance");
  // Later frames of the same track: no second hit.
  for (let seq = 3; seq < 10; seq++) {
    const r = tracker.update(seq, t0 + seq * 100, [face(100 + seq, 80, "ada"), face(400 + seq, 80, "bob")]);
    assert.deepEqual(r.events, [], `seq ${seq}`);
  }
  // The track leaves; a new track of the same person is a new hit.
  const left = tracker.update(10, t0 + 5000, []);
  assert.deepEqual(left.events.map((e) => [e.type, e.identity]).sort(), [
    ["person_left", "ada"],
    ["person_left", "bob"],
  ]);
  tracker.update(11, t0 + 5100, [face(100, 80, "ada")]);
  const again = tracker.update(12, t0 + 5200, [face(100, 80, "ada")]);
  assert.deepEqual(
    again.events.map((e) => [e.type, e.identity, e.trackId]),
    [
      ["person_seen", "ada", "t3"],
      ["watchlist_hit", "ada", "t3"],
    ],
  );
});

test("watchlist: an Unknown track that earns a watchlisted name is a hit then; Unknown never is", () => {
  const trackers = new Trackers(settings, "agent", ["cy", UNKNOWN]);
  const tracker = trackers.for("gate");
  const t0 = 2_000_000;
  tracker.update(1, t0, [face(100, 80, UNKNOWN)]);
  const r2 = tracker.update(2, t0 + 100, [face(100, 80, UNKNOWN)]);
  assert.deepEqual(
    r2.events.map((e) => e.type),
    ["unknown_person"],
    "Unknown is never a watchlist hit, even if listed",
  );
  trackers.resetVotes(); // the gallery learned who this is
  const r3 = tracker.update(3, t0 + 200, [face(100, 80, "cy")]);
  assert.deepEqual(
    r3.events.map((e) => [e.type, e.identity]),
    [
      ["person_seen", "cy"],
      ["watchlist_hit", "cy"],
    ],
  );
  assert.equal(r3.events[1]?.trackId, "agent-1");
  // Without a watchlist: no hits at all (the default).
  const plain = new CameraTracker("door", settings, () => "p1");
  plain.update(1, t0, [face(100, 80, "cy")]);
  assert.deepEqual(
    plain.update(2, t0 + 100, [face(100, 80, "cy")]).events.map((e) => e.type),
    ["person_seen"],
  );
});

test("watchlist_hit is a valid facefleet.events record", () => {
  const tracker = new CameraTracker("door", settings, () => "t1", new Set(["ada"]));
  tracker.update(1, 1000, [face(100, 80, "ada")]);
  const [, hit] = tracker.update(2, 1100, [face(100, 80, "ada")]).events;
  assert.ok(hit);
  const record = recognitionEventSchema.parse({ schemaVersion: 1, camera: "door", agent: "a", time: Date.now(), ...hit });
  assert.equal(record.type, "watchlist_hit");
  assert.equal(record.identity, "ada");
  assert.equal(record.distance, 0.05);
});

test("config: worker.watchlist and the capture role, defaults and one-line errors", () => {
  const plain = parseAgentConfig({ agentId: "a" });
  assert.deepEqual(plain.worker.watchlist, []);
  assert.deepEqual(plain.capture, { stateDir: ".facefleet/capture", maxQueue: 30, flushTimeoutMs: 10_000, restartDelayMs: 1000 });

  const config = parseAgentConfig({
    agentId: "a",
    roles: {
      capture: [
        { camera: "door", source: "/dev/video0", videoSize: "640x480", v4l2: "ffmpeg" },
        { camera: "yard", source: "rtsp://cam/stream", fps: 2.5, loop: true },
      ],
      inference: false,
    },
    capture: { stateDir: "/var/lib/facefleet", maxQueue: 5 },
    worker: { watchlist: ["ada", "bob"] },
  });
  assert.deepEqual(config.worker.watchlist, ["ada", "bob"]);
  assert.deepEqual(config.roles.capture[0], {
    camera: "door",
    source: "/dev/video0",
    fps: 10,
    loop: false,
    videoSize: "640x480",
    v4l2: "ffmpeg",
  });
  assert.equal(config.capture.stateDir, "/var/lib/facefleet");
  assert.equal(config.capture.flushTimeoutMs, 10_000);
  assert.deepEqual(cameraSpec(config.roles.capture[0] as (typeof config.roles.capture)[0]), {
    camera: "door",
    source: "/dev/video0",
    fps: 10,
    loop: false,
    width: 640,
    height: 480,
    v4l2Backend: "ffmpeg",
  });
  const yard = cameraSpec(config.roles.capture[1] as (typeof config.roles.capture)[0]);
  assert.deepEqual([yard.fps, yard.loop, yard.width, yard.v4l2Backend], [2.5, true, undefined, "auto"]);

  const error = (json: unknown) => {
    try {
      parseAgentConfig(json, "agent config x.json");
    } catch (e) {
      return (e as Error).message;
    }
    return "no error";
  };
  const cam = (extra: object) => ({ agentId: "a", roles: { capture: [{ camera: "c", source: "s", ...extra }] } });
  assert.match(error(cam({ fps: 0 })), /^agent config x\.json: roles\.capture\.0\.fps: /);
  assert.match(error(cam({ fps: "10" })), /roles\.capture\.0\.fps: .*number/);
  assert.match(error(cam({ videoSize: "640" })), /roles\.capture\.0\.videoSize: must be WxH/);
  assert.match(error(cam({ v4l2: "gstreamer" })), /roles\.capture\.0\.v4l2: /);
  assert.match(error(cam({ camera: "" })), /roles\.capture\.0\.camera: /);
  assert.match(error(cam({ camera: "x".repeat(129) })), /roles\.capture\.0\.camera: /);
  assert.match(error(cam({ lopo: true })), /roles\.capture\.0: .*lopo/);
  assert.match(error({ agentId: "a", roles: { capture: [{ camera: "c" }] } }), /roles\.capture\.0\.source: /);
  assert.match(
    error({
      agentId: "a",
      roles: {
        capture: [
          { camera: "c", source: "a" },
          { camera: "c", source: "b" },
        ],
      },
    }),
    /roles\.capture\.1\.camera: camera 'c' is listed twice/,
  );
  assert.match(error({ agentId: "a", capture: { maxQueue: 0 } }), /^agent config x\.json: capture\.maxQueue: /);
  assert.match(error({ agentId: "a", capture: { stateDir: "" } }), /capture\.stateDir: /);
  assert.match(error({ agentId: "a", worker: { watchlist: "ada" } }), /worker\.watchlist: /);
  assert.match(error({ agentId: "a", worker: { watchlist: [""] } }), /worker\.watchlist\.0: /);
  // Capture only is a role; no role at all is not.
  assert.equal(parseAgentConfig(cam({})).roles.inference, true);
  assert.equal(error({ ...cam({}), roles: { capture: [{ camera: "c", source: "s" }], inference: false } }), "no error");
});
