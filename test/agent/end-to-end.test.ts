/**
 * The agent process end to end on a real broker with the real models: short_hamilton_clip.mp4 at
 * 3 fps produced to facefleet.frames while `facefleet agent` runs, with lin-manuel-miranda and
 * alex-lacamoire enrolled and pushed to facefleet.gallery (`facefleet enroll`, `facefleet gallery push`).
 *
 * - the agent is SIGKILLed mid-stream and started again: every frame has a detection (duplicates
 *   only of frames the first process had processed but not committed), exactly one after dedup by
 *   (camera, seq); named faces appear; events are per track, far fewer than faces; annotated frames
 *   are JPEGs;
 * - gallery hot reload: a frame of Obama on a second camera is Unknown; obama is pushed while the
 *   agent runs → the next such frame names him, with gallery version 3, and the distance threshold that
 *   fits the gallery's size is recomputed (stricter for 3 identities than for 2);
 * - `facefleet tail` prints the detections; SIGTERM stops the agent cleanly with everything committed.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import kafkajs from "kafkajs";
import sharp from "sharp";
import { type Detection, detectionSchema } from "../../protocol/detection.js";
import { type RecognitionEvent, recognitionEventSchema } from "../../protocol/event.js";
import { topics } from "../../protocol/topics.js";
import {
  type ChildCommand,
  Collector,
  createTopics,
  frameHeaders,
  runCommand,
  startBroker,
  startCommand,
  waitFor,
} from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { runCli } from "../support/run-cli.js";

const { Partitioners } = kafkajs;
useTestModels();

const CAMERA = "hamilton";
const LIN = "lin-manuel-miranda";
const ALEX = "alex-lacamoire";
const OBAMA = "obama";

test("agent end to end: SIGKILL and restart lose no frame, gallery hot reload, tail, SIGTERM", { timeout: 240_000 }, async (t) => {
  const broker = await startBroker(19492);
  const work = mkdtempSync(path.join(tmpdir(), "facefleet-agent-e2e-"));
  const agents: ChildCommand[] = [];
  const collectors: Collector[] = [];
  const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  t.after(async () => {
    for (const a of agents) a.child.kill("SIGKILL");
    await producer.disconnect().catch(() => undefined);
    for (const c of collectors) await c.stop();
    await broker.stop();
    rmSync(work, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, 2);
  await producer.connect();

  // Frames of the clip at 3 fps, as capture would produce them.
  const framesDir = path.join(work, "frames");
  mkdirSync(framesDir);
  const clip = path.join(path.dirname(exampleImage("x")), "short_hamilton_clip.mp4");
  execFileSync("ffmpeg", ["-v", "error", "-i", clip, "-vf", "fps=3", "-q:v", "4", path.join(framesDir, "f%03d.jpg")]);
  const jpegs = readdirSync(framesDir)
    .sort()
    .map((f) => readFileSync(path.join(framesDir, f)));
  assert.ok(jpegs.length >= 28, `ffmpeg gave ${jpegs.length} frames`);
  const produceFrame = (seq: number, jpeg: Buffer) =>
    producer.send({ topic: topics.frames, acks: -1, messages: [{ key: CAMERA, value: jpeg, headers: frameHeaders(CAMERA, seq) }] });

  // Enroll three people into a gallery file; push the two of the clip now, Obama later.
  const people = path.join(work, "people");
  mkdirSync(people);
  for (const name of [LIN, ALEX]) copyFileSync(exampleImage(`${name}.png`), path.join(people, `${name}.png`));
  copyFileSync(exampleImage("obama.jpg"), path.join(people, `${OBAMA}.jpg`));
  const galleryFile = path.join(work, "gallery.json");
  const enrolled = await runCli(["enroll", people, "--gallery", galleryFile, "--threads", "1"]);
  assert.equal(enrolled.code, 0, enrolled.stderr);
  const pushClip = await runCommand("gallery", [
    "push",
    "--gallery",
    galleryFile,
    "--only",
    `${LIN},${ALEX}`,
    "--brokers",
    broker.bootstrap,
  ]);
  assert.equal(pushClip.code, 0, pushClip.stderr);
  // A short command prints no kafkajs log (retriable errors of a broker that just started read as failures).
  assert.equal(pushClip.stderr, "", "gallery push wrote nothing on stderr");
  assert.match(pushClip.stdout, /pushed 2 identities \(alex-lacamoire, lin-manuel-miranda\) to facefleet\.gallery; gallery version 2/);

  const groupId = "e2e-inference";
  const configFile = path.join(work, "agent.json");
  writeFileSync(
    configFile,
    JSON.stringify({
      agentId: "e2e-agent",
      kafka: { brokers: [broker.bootstrap] },
      recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
      worker: {
        groupId,
        // No coordinator here to ask for them: every frame is annotated (the default is on demand, capped).
        annotated: "always",
        annotateMaxFps: 0,
        maxFrameAgeMs: 120_000,
        sessionTimeoutMs: 3000,
        heartbeatIntervalMs: 500,
        maxWaitMs: 200,
        statsLogIntervalMs: 0,
        // Visits of the quiet camera end 3 s after its last frame (default 10 s), inside the wait below.
        track: { visitGapMs: 3000 },
      },
    }),
  );

  const detections = await Collector.start(broker.kafka, topics.detections);
  const events = await Collector.start(broker.kafka, topics.events);
  const annotated = await Collector.start(broker.kafka, topics.annotated);
  collectors.push(detections, events, annotated);
  const detected = () => detections.json<Detection>();

  // --- first agent process; SIGKILL it mid-stream ---
  const first = startCommand("agent", ["--config", configFile]);
  agents.push(first);
  await waitFor("the first agent to join", () => /owns partitions/.test(first.stderr()), 60_000);
  // A backlog of 20 frames in one go, so the kill lands in the middle of a batch whose processed
  // frames are not all committed yet (commits every commitIntervalMs and at the end of a batch).
  const total = 30;
  const backlog = 20;
  await producer.send({
    topic: topics.frames,
    acks: -1,
    messages: jpegs.slice(0, backlog).map((jpeg, i) => ({ key: CAMERA, value: jpeg, headers: frameHeaders(CAMERA, i) })),
  });
  await waitFor("the first detections", () => detected().length >= 4, 60_000, 10);
  first.child.kill("SIGKILL");
  await first.exited;
  const killedAt = Date.now();
  const beforeKill = new Set(detected().map((d) => d.seq));
  t.diagnostic(`SIGKILL after ${beforeKill.size} of ${backlog} frames had their detection`);
  assert.ok(beforeKill.size < backlog, "the kill happened mid-stream");
  for (let seq = backlog; seq < total; seq++) await produceFrame(seq, jpegs[seq] as Buffer);

  // --- the restarted agent takes over from the last commit ---
  const second = startCommand("agent", ["--config", configFile]);
  agents.push(second);
  await waitFor("a detection for every frame", () => new Set(detected().map((d) => d.seq)).size >= total, 90_000).catch((error) => {
    throw new Error(`${(error as Error).message}\nsecond agent stderr:\n${second.stderr()}`);
  });

  const all = detected().map((d) => detectionSchema.parse(d));
  const bySeq = new Map<number, Detection[]>();
  for (const d of all) bySeq.set(d.seq, [...(bySeq.get(d.seq) ?? []), d]);
  assert.deepEqual(
    [...bySeq.keys()].sort((a, b) => a - b),
    Array.from({ length: total }, (_, i) => i),
    "no frame is missing",
  );
  const duplicated = [...bySeq].filter(([, ds]) => ds.length > 1);
  for (const [s, ds] of duplicated) {
    assert.equal(ds.length, 2, `seq ${s} processed more than twice`);
    assert.ok(beforeKill.has(s) && (ds[0]?.doneTime ?? 0) <= killedAt, `seq ${s} duplicated but not processed before the kill`);
  }
  t.diagnostic(`${duplicated.length} frame(s) processed twice (done by the killed process, not yet committed)`);
  for (const d of all) {
    assert.equal(d.camera, CAMERA);
    assert.equal(d.agent, "e2e-agent");
    assert.equal(d.galleryVersion, 2);
    assert.equal(d.width, 640);
    assert.match(d.models.recognizer, /./);
    assert.ok(d.faces.every((f) => f.trackId !== null));
  }
  const unique = [...bySeq.values()].map((ds) => ds[ds.length - 1] as Detection);
  const faces = unique.flatMap((d) => d.faces);
  assert.ok(
    faces.some((f) => f.identity === LIN),
    "Lin-Manuel Miranda is named",
  );
  assert.ok(!faces.some((f) => f.identity === OBAMA), "Obama is not enrolled yet");

  // Annotated frames: a JPEG per frame, with the frame's headers.
  await waitFor("annotated frames", () => new Set(annotated.messages.map((m) => String(m.headers?.seq))).size >= total, 30_000);
  for (const m of annotated.messages.slice(0, 5)) {
    const meta = await sharp(m.value as Buffer).metadata();
    assert.equal(meta.format, "jpeg");
    assert.equal(meta.width, 640);
  }

  // Events: per track, not per frame; the second process's tracks end when the camera goes quiet.
  const secondPrefix = (unique[unique.length - 1]?.faces[0]?.trackId ?? "").replace(/-\d+$/, "");
  await waitFor(
    "person_left of the quiet camera's tracks",
    () => {
      const evs = events.json<RecognitionEvent>().filter((e) => e.trackId.startsWith(secondPrefix));
      const open = new Set(evs.filter((e) => e.type !== "person_left").map((e) => e.trackId));
      for (const e of evs) if (e.type === "person_left") open.delete(e.trackId);
      return evs.length > 0 && open.size === 0;
    },
    15_000,
  );
  const evs = events.json<RecognitionEvent>().map((e) => recognitionEventSchema.parse(e));
  t.diagnostic(`${all.length} detections, ${faces.length} faces, ${evs.length} events`);
  assert.ok(evs.length < faces.length / 2, `events (${evs.length}) are far fewer than faces (${faces.length})`);
  assert.ok(evs.some((e) => e.type === "person_seen" && e.identity === LIN));
  const perTrack = new Map<string, string[]>();
  for (const e of evs)
    perTrack.set(`${e.trackId}/${e.type}/${e.identity}`, [...(perTrack.get(`${e.trackId}/${e.type}/${e.identity}`) ?? []), e.type]);
  for (const [key, list] of perTrack) assert.equal(list.length, 1, `${key} sent once`);

  // --- gallery hot reload: push Obama while the agent runs ---
  const lobby = "lobby";
  const obamaFrame = readFileSync(exampleImage("obama2.jpg"));
  const obamaMeta = await sharp(obamaFrame).metadata();
  const produceLobby = (n: number) =>
    producer.send({
      topic: topics.frames,
      acks: -1,
      messages: [
        {
          key: lobby,
          value: obamaFrame,
          headers: frameHeaders(lobby, n, Date.now(), { width: obamaMeta.width ?? 1, height: obamaMeta.height ?? 1 }),
        },
      ],
    });
  const lobbyDetections = () => detected().filter((d) => d.camera === lobby);
  await produceLobby(0);
  await waitFor("the lobby's first detection", () => lobbyDetections().length >= 1, 30_000);
  assert.deepEqual(
    lobbyDetections()[0]?.faces.map((f) => f.identity),
    ["Unknown"],
  );
  assert.equal(lobbyDetections()[0]?.galleryVersion, 2);
  const pushObama = await runCommand("gallery", ["push", "--gallery", galleryFile, "--only", OBAMA, "--brokers", broker.bootstrap]);
  assert.equal(pushObama.code, 0, pushObama.stderr);
  assert.equal(pushObama.stderr, "", "gallery push wrote nothing on stderr");
  assert.match(pushObama.stdout, /gallery version 3/);
  await waitFor("the agent to load gallery version 3", () => /gallery version 3: 3 identities \(\+obama\)/.test(second.stderr()), 15_000);
  // The default threshold follows the gallery's size: a third identity makes it stricter, without a restart.
  const loadedThreshold = Number(
    /gallery version 2 loaded: 2 identities; distance threshold ([\d.]+) \(false-accept target 0\.01\)/.exec(second.stderr())?.[1],
  );
  const reloadedThreshold = Number(/gallery version 3: 3 identities \(\+obama\); distance threshold ([\d.]+)/.exec(second.stderr())?.[1]);
  assert.ok(reloadedThreshold > 0 && reloadedThreshold < loadedThreshold, `threshold ${loadedThreshold} -> ${reloadedThreshold}`);
  await produceLobby(1);
  await waitFor("the lobby's second detection", () => lobbyDetections().length >= 2, 30_000);
  const after = lobbyDetections()[1];
  assert.equal(after?.galleryVersion, 3, "later detections carry the new gallery version");
  assert.deepEqual(
    after?.faces.map((f) => f.identity),
    [OBAMA],
    "the new identity is named without a restart",
  );
  await waitFor(
    "events of the lobby",
    () => events.json<RecognitionEvent>().some((e) => e.camera === lobby && e.identity === OBAMA),
    15_000,
  );

  // --- tail and gallery list ---
  const tail = await runCommand("tail", [
    "detections",
    "--camera",
    CAMERA,
    "--from-beginning",
    "--count",
    "3",
    "--brokers",
    broker.bootstrap,
  ]);
  assert.equal(tail.code, 0, tail.stderr);
  const lines = tail.stdout.trim().split("\n");
  assert.equal(lines.length, 3);
  for (const line of lines) detectionSchema.parse(JSON.parse(line));
  const tailEvents = await runCommand("tail", ["events", "--from-beginning", "--count", "1", "--brokers", broker.bootstrap]);
  assert.equal(tailEvents.code, 0, tailEvents.stderr);
  recognitionEventSchema.parse(JSON.parse(tailEvents.stdout));
  const list = await runCommand("gallery", ["list", "--json", "--brokers", broker.bootstrap]);
  assert.equal(list.code, 0, list.stderr);
  const listed = JSON.parse(list.stdout) as { version: number; identities: { name: string }[] };
  assert.equal(listed.version, 3);
  assert.deepEqual(
    listed.identities.map((i) => i.name),
    [ALEX, LIN, OBAMA],
  );

  // --- SIGTERM: finish, commit, leave ---
  second.child.kill("SIGTERM");
  assert.equal(await second.exited, 0, second.stderr());
  assert.match(second.stderr(), /stopped: frames \d+ in/);
  const admin = broker.kafka.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topics.frames);
    const committed = await admin.fetchOffsets({ groupId, topics: [topics.frames] });
    for (const end of ends.filter((e) => Number(e.high) > 0)) {
      const c = committed[0]?.partitions.find((p) => p.partition === end.partition);
      assert.equal(c?.offset, end.high, `partition ${end.partition} committed to its end`);
    }
    assert.equal((await admin.describeGroups([groupId])).groups[0]?.state, "Empty");
  } finally {
    await admin.disconnect();
  }
});
