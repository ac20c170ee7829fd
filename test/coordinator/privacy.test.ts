/**
 * Privacy on the coordinator end to end: a Kafka broker from the jars, `startCoordinator` (embedded MQTT, the shared
 * gallery, people, corrections and alerts, faces over time, the audit log), an agent's own GalleryReader of
 * facefleet.gallery, and recognition events with real embeddings and crops (the real models on LFW and the sample
 * pictures) published to facefleet.events.
 *
 * Forget this person: Obama enrolled from a photo; Tony Blair's faces arrive as unknown_person events (alerts on for
 * their camera), his cluster is named "Tony Blair", and one of his events that an agent called Obama is corrected to
 * him (his face joins Obama's rejects). POST /api/people/Tony%20Blair/forget then: the agent's reader has no Tony
 * Blair and Obama without Blair's face in his rejects; no API lists or finds anything of his (people, events, faces
 * search, clusters, alerts, crops 404); no file under the coordinator's state dir holds his crops (their bytes or
 * base64), his embeddings (as the face store writes them, or as JSON) or his event ids (but the audit log's entry of
 * the correction) — while Obama's kept faces stay.
 *
 * Audit: every enrollment, correction, naming, dismissal and deletion is in GET /api/audit and in
 * `<stateDir>/audit.jsonl` (one JSON line each), with who (`api-token`, or `session <hex>` after a login) and when,
 * and no crop or embedding; kept across a restart.
 *
 * Retention on schedule: restarted with 3-second retentions (faces, recent events, unknown alerts) and a 1-second
 * purge, the older faces are purged at start; new events are listed, then gone from the API and the disk within a
 * few purges, without a restart.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import kafkajs from "kafkajs";
import { parseCoordinatorConfig } from "../../coordinator/config.js";
import { type RunningCoordinator, startCoordinator } from "../../coordinator/coordinator.js";
import { GalleryReader } from "../../gallery/gallery-reader.js";
import { createKafka } from "../../kafka/client.js";
import { auditListSchema } from "../../protocol/api-audit.js";
import { eventId, eventListSchema, unknownAlertsViewSchema } from "../../protocol/api-events.js";
import { faceClusterListSchema, faceSearchResultSchema } from "../../protocol/api-faces.js";
import { forgetResultSchema } from "../../protocol/api-people.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { topics } from "../../protocol/topics.js";
import { encodeVector } from "../../recognition/embedding-codec.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { waitForAsync } from "../../testing/fleet.js";
import { createPlanTopic, createTopics, startBroker } from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { FaceEvents, lfwPictures } from "../support/face-events.js";

const { logLevel, Partitioners } = kafkajs;
useTestModels();

// Ports of this test only (26090 + the controller's 26091, MQTT 26190).
const KAFKA_PORT = 26090;
const MQTT_PORT = 26190;
const TOKEN = "privacy-test-token-0001";

/** Every file under a folder, with its bytes. */
function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  const out: { file: string; bytes: Buffer }[] = [];
  for (const name of readdirSync(dir)) {
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) out.push(...filesUnder(file));
    else out.push({ file, bytes: readFileSync(file) });
  }
  return out;
}

/**
 * What of an event's face a file could hold: the crop's bytes and base64, the embedding as the face store encodes it
 * and as JSON numbers, and the event's id (except in the audit log, whose entries name the events corrected: an id
 * is a hash of camera, agent and track, no face).
 */
function markersOf(event: RecognitionEvent, file: string): Buffer[] {
  const crop = Buffer.from(event.crop as string, "base64");
  const values = event.embedding as number[];
  const norm = Math.hypot(...values) || 1;
  const stored = encodeVector(Float32Array.from(values, (v) => v / norm));
  return [
    crop.subarray(Math.floor(crop.length / 2), Math.floor(crop.length / 2) + 256),
    Buffer.from((event.crop as string).slice(200, 300)),
    Buffer.from(stored.slice(40, 120)),
    Buffer.from(JSON.stringify(values.slice(3, 8)).slice(1, -1)),
    ...(path.basename(file) === "audit.jsonl" ? [] : [Buffer.from(eventId(event))]),
  ];
}

const holding = (files: { file: string; bytes: Buffer }[], events: RecognitionEvent[]) =>
  files.filter(({ file, bytes }) => events.some((e) => markersOf(e, file).some((m) => bytes.includes(m)))).map((f) => f.file);

test("forget a person everywhere; the audit log; retention purged on schedule", { timeout: 900_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-privacy-"));
  const stateDir = path.join(dir, "coordinator");
  const broker = await startBroker(KAFKA_PORT);
  let coordinator: RunningCoordinator | undefined;
  const logs: string[] = [];
  t.after(async () => {
    await coordinator?.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, 2);
  await createPlanTopic(broker.kafka);

  const pipeline = await RecognitionPipeline.load({ threads: 1 });
  const T0 = Date.now() - 600_000;
  const events = new FaceEvents(pipeline, T0, "agent-privacy");
  const obama = [
    await events.of(exampleImage("obama2.jpg"), "cam-hall", "person_seen", "Barack Obama"),
    await events.of(exampleImage("obama-480p.jpg"), "cam-hall", "person_seen", "Barack Obama"),
  ];
  const blairFiles = lfwPictures("Tony_Blair", 7);
  const blairUnknown: RecognitionEvent[] = [];
  for (const file of blairFiles.slice(0, 5)) blairUnknown.push(await events.of(file, "cam-yard", "unknown_person", "Unknown"));
  // An agent called this face of Blair "Barack Obama": corrected to Tony Blair below.
  const blairAsObama = await events.of(blairFiles[5] as string, "cam-hall", "person_seen", "Barack Obama");
  const blair = [...blairUnknown, blairAsObama];
  const all = [...obama, ...blair];

  const start = (retention?: { hours: number; purgeMs: number }) =>
    startCoordinator(
      parseCoordinatorConfig({
        kafka: { brokers: [broker.bootstrap], clientId: "coordinator-privacy" },
        mqtt: { embedded: { host: "127.0.0.1", port: MQTT_PORT } },
        http: { host: "127.0.0.1", port: 0, token: TOKEN },
        stateDir,
        liveness: { startupGraceMs: 500 },
        recognition: { threads: 1 },
        ...(retention
          ? {
              faces: { retentionHours: retention.hours, purgeIntervalMs: retention.purgeMs },
              corrections: { retentionHours: retention.hours, purgeIntervalMs: retention.purgeMs },
              unknownAlerts: { retentionHours: retention.hours, purgeIntervalMs: retention.purgeMs },
            }
          : {}),
      }),
      {
        log: (line) => logs.push(line),
        kafka: createKafka({ brokers: [broker.bootstrap], clientId: "coordinator-privacy" }, logLevel.NOTHING),
      },
    );
  coordinator = await start();
  const call = async (method: string, route: string, body?: unknown, auth: { token?: string; cookie?: string } = { token: TOKEN }) => {
    const headers: Record<string, string> = {};
    if (auth.token) headers.authorization = `Bearer ${auth.token}`;
    if (auth.cookie) headers.cookie = auth.cookie;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${coordinator?.apiUrl}${route}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const type = response.headers.get("content-type") ?? "";
    return {
      status: response.status,
      bytes,
      cookie: response.headers.get("set-cookie"),
      json: type.includes("json") ? JSON.parse(bytes.toString()) : undefined,
    };
  };
  const photo = (file: string) => ({ image: readFileSync(file).toString("base64") });
  const agentGallery = new GalleryReader({ kafka: broker.kafka, topic: topics.gallery, clientName: "privacy-agent-check" });
  await agentGallery.start(60_000);
  t.after(() => agentGallery.stop());

  // --- Obama enrolled from a photo; alerts on for the yard.
  assert.equal((await call("POST", "/api/people", { name: "Barack Obama" })).status, 200);
  const enrolled = await call("POST", "/api/people/Barack%20Obama/photos", photo(exampleImage("obama.jpg")));
  assert.equal(enrolled.status, 200, enrolled.bytes.toString());
  assert.equal((await call("PUT", "/api/alerts/unknown/cam-yard", { enabled: true })).status, 200);

  const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  t.after(() => producer.disconnect());
  const publish = (batch: RecognitionEvent[]) =>
    producer.send({ topic: topics.events, acks: -1, messages: batch.map((e) => ({ key: e.camera, value: JSON.stringify(e) })) });
  const listed = async () => eventListSchema.parse((await call("GET", "/api/events?limit=500")).json).events;
  await waitForAsync(
    "the coordinator to keep every event",
    async () => {
      const ids = new Set((await listed()).map((e) => e.id));
      if (all.every((e) => ids.has(eventId(e)))) return true;
      await publish(all);
      return false;
    },
    120_000,
  );
  const clusters = faceClusterListSchema.parse((await call("GET", "/api/faces/clusters")).json);
  const blairIds = new Set(blair.map((e) => eventId(e)));
  const blairCluster = clusters.clusters.find((c) => c.faces.filter((f) => blairIds.has(f.id)).length >= 3);
  assert.ok(blairCluster, JSON.stringify(clusters));
  const named = await call("POST", `/api/faces/clusters/${blairCluster.id}/name`, { name: "Tony Blair" });
  assert.equal(named.status, 200, named.bytes.toString());
  const corrected = await call("POST", `/api/events/${eventId(blairAsObama)}/correction`, { identity: "Tony Blair" });
  assert.equal(corrected.status, 200, corrected.bytes.toString());
  await waitForAsync(
    "Tony Blair on the agent's gallery, his face in Obama's rejects",
    async () =>
      (agentGallery.get("Tony Blair")?.embeddings.length ?? 0) > 1 &&
      (agentGallery.get("Barack Obama")?.rejects ?? []).some((r) => r.source === `event:${eventId(blairAsObama)}`),
    30_000,
  );
  const alertsBefore = unknownAlertsViewSchema.parse((await call("GET", "/api/alerts/unknown")).json);
  assert.equal(alertsBefore.alerts.filter((a) => blairIds.has(a.id)).length, blairUnknown.length, "Blair's unknown faces raised alerts");
  // A dashboard session: its changes are audited as the session.
  const login = await call("POST", "/api/login", { token: TOKEN }, {});
  assert.equal(login.status, 200);
  const cookie = (login.cookie ?? "").split(";")[0] as string;
  assert.equal((await call("POST", "/api/people", { name: "Visitor" }, { cookie })).status, 200);
  assert.equal((await call("DELETE", "/api/people/Visitor", undefined, { cookie })).status, 200);

  // The scan finds Blair's faces on disk before they are forgotten (it can see what it looks for).
  const before = holding(filesUnder(stateDir), blair);
  assert.ok(
    before.filter((f) => f.includes(`${path.sep}faces${path.sep}`)).length >= blair.length,
    `Blair's kept faces: ${before.join(", ")}`,
  );
  assert.ok(
    before.some((f) => f.includes(`${path.sep}unknown${path.sep}`)),
    "Blair's alert crops",
  );

  // --- Forget Tony Blair.
  assert.equal((await call("POST", "/api/people/Nobody%20Known/forget")).status, 404);
  assert.equal((await call("POST", "/api/people/Tony%20Blair/forget", undefined, {})).status, 401);
  const forgot = await call("POST", "/api/people/Tony%20Blair/forget");
  assert.equal(forgot.status, 200, forgot.bytes.toString());
  const result = forgetResultSchema.parse(forgot.json);
  assert.equal(result.tombstoned, true);
  assert.ok(result.embeddings >= 2, `his embeddings: ${result.embeddings}`);
  assert.equal(result.rejects, 1, "his face out of Obama's rejects");
  assert.equal(result.faces, blair.length, "every kept face of his");
  assert.equal(result.events, blair.length, "every recent event of his");
  assert.equal(result.alerts, blairUnknown.length, "every alert later named him");

  // The agent's gallery reader: no Tony Blair; Obama stays, without Blair's face.
  await waitForAsync("Tony Blair gone from the agent's gallery", async () => agentGallery.get("Tony Blair") === undefined, 30_000);
  const obamaHeld = agentGallery.get("Barack Obama");
  assert.ok(obamaHeld && obamaHeld.embeddings.length === 1);
  assert.ok(!(obamaHeld.rejects ?? []).some((r) => r.source.startsWith("event:") && blairIds.has(r.source.slice(6))));

  // The API: nothing of his.
  const people = (await call("GET", "/api/people")).json as { people: { name: string }[] };
  assert.deepEqual(
    people.people.map((p) => p.name),
    ["Barack Obama"],
  );
  const eventsAfter = await listed();
  assert.ok(!eventsAfter.some((e) => blairIds.has(e.id)), "no event of his listed");
  assert.equal(eventsAfter.filter((e) => obama.some((o) => eventId(o) === e.id)).length, obama.length, "Obama's events stay");
  assert.equal(eventListSchema.parse((await call("GET", "/api/events?person=Tony%20Blair")).json).events.length, 0);
  const search = faceSearchResultSchema.parse((await call("POST", "/api/faces/search", photo(blairFiles[6] as string))).json);
  assert.ok(!search.matches.some((m) => blairIds.has(m.id)), "no face of his found");
  assert.equal(search.searched, obama.length, "only Obama's faces are kept");
  const clustersAfter = faceClusterListSchema.parse((await call("GET", "/api/faces/clusters")).json);
  assert.ok(!clustersAfter.clusters.some((c) => c.faces.some((f) => blairIds.has(f.id))));
  const alertsAfter = unknownAlertsViewSchema.parse((await call("GET", "/api/alerts/unknown")).json);
  assert.ok(!alertsAfter.alerts.some((a) => blairIds.has(a.id)), "no alert of his");
  for (const id of blairIds) {
    assert.equal((await call("GET", `/api/faces/${id}/crop.jpg`)).status, 404);
    assert.equal((await call("GET", `/api/events/${id}/crop.jpg`)).status, 404);
  }
  assert.equal((await call("GET", `/api/alerts/unknown/${eventId(blairUnknown[0] as RecognitionEvent)}/crop.jpg`)).status, 404);

  // The disk: no file under the state dir holds his crops, embeddings or event ids; Obama's faces are still there.
  const files = filesUnder(stateDir);
  assert.deepEqual(holding(files, blair), [], "nothing of Blair's face on disk");
  assert.equal(
    holding(files, obama).filter((f) => f.includes(`${path.sep}faces${path.sep}`)).length,
    obama.length * 2,
    "Obama's crops and faces stay",
  );

  // --- The audit log: who did what, when, in the API and the file.
  const audit = auditListSchema.parse((await call("GET", "/api/audit")).json);
  const actions = audit.entries.map((e) => `${e.action} ${e.subject} ${e.actor.split(" ")[0]}`).reverse();
  assert.deepEqual(actions, [
    "person.create Barack Obama api-token",
    "person.enroll Barack Obama api-token",
    `cluster.name ${blairCluster.id} api-token`,
    `event.correct ${eventId(blairAsObama)} api-token`,
    "person.create Visitor session",
    "person.delete Visitor session",
    "person.forget Tony Blair api-token",
  ]);
  const [latest] = audit.entries;
  assert.ok(latest && latest.time >= T0 && latest.time <= Date.now());
  assert.equal(latest.details.faces, blair.length);
  assert.equal(audit.entries.find((e) => e.action === "cluster.name")?.details.name, "Tony Blair");
  assert.match(audit.entries.find((e) => e.action === "person.delete")?.actor ?? "", /^session [0-9a-f]{8}$/);
  assert.equal(auditListSchema.parse((await call("GET", "/api/audit?action=person.create")).json).entries.length, 2);
  assert.equal((await call("GET", "/api/audit?action=nonsense")).status, 400);
  assert.equal((await call("GET", "/api/audit", undefined, {})).status, 401);
  const lines = readFileSync(path.join(stateDir, "audit.jsonl"), "utf8").trim().split("\n");
  assert.equal(lines.length, 7);
  assert.deepEqual(
    lines.map((l) => JSON.parse(l).action),
    audit.entries.map((e) => e.action).reverse(),
  );
  assert.equal((statSync(path.join(stateDir, "audit.jsonl")).mode & 0o777).toString(8), "600");

  // --- Retention on schedule: restarted with 3 s retentions and a 1 s purge.
  await coordinator.stop();
  coordinator = await start({ hours: 3 / 3600, purgeMs: 1000 });
  assert.equal(auditListSchema.parse((await call("GET", "/api/audit")).json).total, 7, "the audit log is read back");
  assert.equal(
    holding(filesUnder(stateDir), obama).filter((f) => f.includes(`${path.sep}faces${path.sep}`)).length,
    0,
    "Obama's faces (10 minutes old) purged at start",
  );
  const fresh = new FaceEvents(pipeline, Date.now(), "agent-privacy-2");
  const chavez: RecognitionEvent[] = [];
  for (const file of lfwPictures("Hugo_Chavez", 3)) chavez.push(await fresh.of(file, "cam-yard", "unknown_person", "Unknown"));
  const chavezIds = new Set(chavez.map((e) => eventId(e)));
  let seenAt = 0;
  await waitForAsync(
    "the new events kept (events, faces, alerts)",
    async () => {
      const ids = new Set((await listed()).map((e) => e.id));
      const alerts = unknownAlertsViewSchema.parse((await call("GET", "/api/alerts/unknown")).json).alerts;
      const faces = faceClusterListSchema.parse((await call("GET", "/api/faces/clusters")).json).faces;
      if ([...chavezIds].every((id) => ids.has(id)) && alerts.length === chavez.length && faces === chavez.length) {
        seenAt = Date.now();
        return true;
      }
      // Events stay within their 3 s only when they are fresh: a new batch each time.
      chavez.length = 0;
      for (const file of lfwPictures("Hugo_Chavez", 3)) chavez.push(await fresh.of(file, "cam-yard", "unknown_person", "Unknown"));
      chavezIds.clear();
      for (const e of chavez) chavezIds.add(eventId(e));
      await publish(chavez);
      return false;
    },
    120_000,
  );
  assert.ok(holding(filesUnder(stateDir), chavez).length >= chavez.length, "their crops are on disk for now");
  await waitForAsync(
    "the purge to delete them (no restart)",
    async () => {
      const ids = new Set((await listed()).map((e) => e.id));
      const alerts = unknownAlertsViewSchema.parse((await call("GET", "/api/alerts/unknown")).json).alerts;
      const faces = faceClusterListSchema.parse((await call("GET", "/api/faces/clusters")).json).faces;
      return ![...chavezIds].some((id) => ids.has(id)) && alerts.length === 0 && faces === 0;
    },
    30_000,
  );
  const purgedAt = Date.now();
  const purgedAfter = purgedAt - seenAt;
  // How late after the retention ran out (the newest event's time + 3 s) the purge was seen (1 s purges, 0.1 s polls).
  const late = purgedAt - (Math.max(...chavez.map((e) => e.time)) + 3000);
  assert.deepEqual(holding(filesUnder(stateDir), chavez), [], "nothing of them left on disk");
  assert.ok(logs.some((l) => /faces: \d+ purged/.test(l)) && logs.some((l) => /corrections: \d+ events purged/.test(l)), logs.join("\n"));
  console.log(
    `privacy: forgot ${JSON.stringify(result)}; the 3 s retention purged the new events ${purgedAfter} ms after they were listed, ${late} ms after the newest one's retention ran out`,
  );
});
