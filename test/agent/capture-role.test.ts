/**
 * The capture role of `facefleet agent` end to end (a real broker on 19792/19793, the real models):
 *
 * - `facefleet enroll DIR --gallery FILE --publish --brokers …` writes the gallery file and publishes
 *   the identity to facefleet.gallery, printing the gallery version the agents will reach;
 * - an agent process captures a directory of three pictures at 5 fps with `loop` (camera "lobby")
 *   and runs the inference role on the same frames → detections for that camera, seq increasing,
 *   from this agent's producer; the enrolled person on `worker.watchlist` gets a watchlist_hit;
 * - SIGTERM → capture stops first (flushed), then the worker; exit 0; the camera's seq state is
 *   written clean at the next seq.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { type Detection, detectionSchema } from "../../protocol/detection.js";
import { type RecognitionEvent, recognitionEventSchema } from "../../protocol/event.js";
import { parseFrameHeaders } from "../../protocol/frame-headers.js";
import { topics } from "../../protocol/topics.js";
import { type ChildCommand, Collector, createTopics, startBroker, startCommand, waitFor } from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { runCli } from "../support/run-cli.js";

useTestModels();

const CAMERA = "lobby";
const AGENT = "capture-agent";

test("agent capture role: a picture folder at 5 fps into the agent's own inference, watchlist, enroll --publish, SIGTERM", {
  timeout: 240_000,
}, async (t) => {
  const broker = await startBroker(19792);
  const work = mkdtempSync(path.join(tmpdir(), "facefleet-capture-role-"));
  const agents: ChildCommand[] = [];
  const collectors: Collector[] = [];
  t.after(async () => {
    for (const a of agents) if (a.child.exitCode === null) a.child.kill("SIGKILL");
    for (const c of collectors) await c.stop();
    await broker.stop();
    rmSync(work, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, 2);

  // enroll --publish: obama into a gallery file and onto the gallery topic.
  const people = path.join(work, "people");
  mkdirSync(people);
  copyFileSync(exampleImage("obama.jpg"), path.join(people, "obama.jpg"));
  const galleryFile = path.join(work, "gallery.json");
  const enrolled = await runCli(["enroll", people, "--gallery", galleryFile, "--threads", "1", "--publish", "--brokers", broker.bootstrap]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  assert.match(enrolled.stdout, /enrolled 1 picture\(s\) of 1 identity into /);
  assert.match(enrolled.stdout, /published 1 identity \(obama\) to facefleet\.gallery; gallery version 1\n/);
  assert.equal(JSON.parse(readFileSync(galleryFile, "utf8")).identities.length, 1);
  const misuse = await runCli(["enroll", people, "--gallery", galleryFile, "--brokers", broker.bootstrap]);
  assert.equal(misuse.code, 2);
  assert.match(misuse.stderr, /--brokers only goes with --publish/);

  // Three pictures; the capture role shows them one per tick, over and over.
  const pictures = path.join(work, "pictures");
  mkdirSync(pictures);
  copyFileSync(exampleImage("obama2.jpg"), path.join(pictures, "1-obama2.jpg"));
  copyFileSync(exampleImage("biden.jpg"), path.join(pictures, "2-biden.jpg"));
  copyFileSync(exampleImage("obama-480p.jpg"), path.join(pictures, "3-obama-480p.jpg"));
  const stateDir = path.join(work, "capture-state");
  const configFile = path.join(work, "agent.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      agentId: AGENT,
      kafka: { brokers: [broker.bootstrap] },
      roles: { capture: [{ camera: CAMERA, source: pictures, fps: 5, loop: true }], inference: true },
      capture: { stateDir },
      recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
      worker: {
        groupId: "capture-role-inference",
        annotated: false,
        maxFrameAgeMs: 0,
        sessionTimeoutMs: 3000,
        heartbeatIntervalMs: 500,
        maxWaitMs: 200,
        statsLogIntervalMs: 0,
        watchlist: ["obama"],
      },
    }),
  );

  const detections = await Collector.start(broker.kafka, topics.detections);
  const events = await Collector.start(broker.kafka, topics.events);
  const frames = await Collector.start(broker.kafka, topics.frames);
  collectors.push(detections, events, frames);
  const ours = () => detections.json<Detection>().filter((d) => d.camera === CAMERA);

  const agent = startCommand("agent", ["--config", configFile]);
  agents.push(agent);
  await waitFor(
    "the agent's capture to start",
    () => /capture lobby: image-dir .* at 5 fps, looped, seq from 0/.test(agent.stderr()),
    60_000,
  );
  await waitFor("8 detections of the captured camera", () => ours().length >= 8, 90_000);
  await waitFor("a watchlist_hit for obama", () => events.json<RecognitionEvent>().some((e) => e.type === "watchlist_hit"), 30_000);
  assert.match(agent.stderr(), /running \(capture of lobby; inference in group capture-role-inference; bootstrap /);

  const detected0 = ours().length;
  agent.child.kill("SIGTERM");
  const code = await agent.exited;
  assert.equal(code, 0, agent.stderr());
  const stderr = agent.stderr();
  assert.match(stderr, /SIGTERM: stopping/);
  const captureStopped = stderr.indexOf("capture stopped: sent ");
  assert.ok(captureStopped > 0, stderr);
  assert.match(stderr, /stopped: frames \d+ in \/ \d+ out.*; capture 1 camera\(s\): captured \d+ sent \d+ dropped 0/);

  // The seq state is clean at the next seq: a restart would continue with no gap.
  const state = JSON.parse(readFileSync(path.join(stateDir, `${CAMERA}.seq.json`), "utf8"));
  assert.equal(state.clean, true);
  assert.ok(state.reserved >= detected0, `next seq ${state.reserved}`);

  // Frames: from this agent, seq 0, 1, 2, … with no gap (nothing dropped on a healthy broker).
  await waitFor(`${state.reserved} frames read back`, () => frames.messages.length >= state.reserved, 20_000);
  const frameHeaders = frames.messages.map((m) => parseFrameHeaders(m.headers ?? {}));
  assert.ok(frameHeaders.every((h) => h.camera === CAMERA && h.producer === AGENT && h.format === "jpeg"));
  assert.deepEqual(
    frameHeaders.map((h) => h.seq),
    frameHeaders.map((_, i) => i),
  );
  assert.equal(frameHeaders.length, state.reserved, "every seq handed out was sent");

  // Detections: each valid, from this agent, seq strictly increasing (one camera = one partition, in order).
  const detected = ours();
  for (const d of detected) detectionSchema.parse(d);
  assert.ok(detected.every((d) => d.agent === AGENT && d.galleryVersion === 1));
  for (let i = 1; i < detected.length; i++)
    assert.ok((detected[i] as Detection).seq > (detected[i - 1] as Detection).seq, `seq ${detected[i]?.seq} after ${detected[i - 1]?.seq}`);
  assert.ok(
    detected.some((d) => d.faces.some((f) => f.identity === "obama")),
    "obama named in the captured frames",
  );
  assert.ok(
    detected.some((d) => d.faces.length > 0 && d.faces.every((f) => f.identity === "Unknown")),
    "biden is Unknown",
  );

  // Events: watchlist_hit right after the person_seen of the same track, once per track.
  const evs = events.json<RecognitionEvent>().map((e) => recognitionEventSchema.parse(e));
  const hits = evs.filter((e) => e.type === "watchlist_hit");
  assert.ok(hits.length >= 1);
  for (const hit of hits) {
    assert.equal(hit.identity, "obama");
    assert.equal(hit.camera, CAMERA);
    assert.ok(evs.some((e) => e.type === "person_seen" && e.trackId === hit.trackId && e.identity === "obama"));
    assert.equal(hits.filter((h) => h.trackId === hit.trackId).length, 1, "one hit per track");
  }
  assert.ok(!evs.some((e) => e.type === "watchlist_hit" && e.identity !== "obama"));
});
