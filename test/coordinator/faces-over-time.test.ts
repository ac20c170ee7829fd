/**
 * Faces over time end to end: a Kafka broker from the jars, `startCoordinator` (its embedded MQTT broker, the
 * faces feature, the shared gallery), and recognition events with real embeddings and crops (the real detector and
 * recognizer on real pictures, the crop encoded as the agent encodes it) published to facefleet.events:
 *
 * - person_seen events of Barack Obama on two cameras, unknown_person events of Tony Blair and Hugo Chávez (LFW);
 * - find a face: POST /api/faces/search with another photo of Obama returns his events first, nearest first, with
 *   camera, time and a cropUrl that serves the JPEG; no Blair or Chávez among them; 422 for a photo of two people
 *   with no clear subject, 400 for a body that is no picture, 401 without the token;
 * - clusters: Blair's and Chávez's faces in clusters of their own; naming Blair's cluster enrolls its best faces
 *   to "Tony Blair" on facefleet.gallery (read by an agent's own GalleryReader), dismissing Chávez's removes it;
 *   a stale cluster id is a 409;
 * - a restart of the coordinator with the same state dir: the faces, and the named and dismissed marks, are read
 *   back (the search finds Obama's events again, the clusters stay empty of both).
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import kafkajs from "kafkajs";
import { parseCoordinatorConfig } from "../../coordinator/config.js";
import { type RunningCoordinator, startCoordinator } from "../../coordinator/coordinator.js";
import { GalleryReader } from "../../gallery/gallery-reader.js";
import { createKafka } from "../../kafka/client.js";
import { eventId } from "../../protocol/api-events.js";
import {
  type FaceClusterList,
  type FaceSearchResult,
  faceClusterListSchema,
  faceSearchResultSchema,
  nameClusterResultSchema,
} from "../../protocol/api-faces.js";
import type { RecognitionEvent } from "../../protocol/event.js";
import { topics } from "../../protocol/topics.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { waitForAsync } from "../../testing/fleet.js";
import { createPlanTopic, createTopics, startBroker } from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";
import { FaceEvents, lfwPictures } from "../support/face-events.js";

const { logLevel, Partitioners } = kafkajs;
useTestModels();

// Ports of this test only (23090 + the controller's 23091, MQTT 23190).
const KAFKA_PORT = 23090;
const MQTT_PORT = 23190;
const TOKEN = "faces-over-time-token";
const lfw = lfwPictures;

test("find a face in past events; unknown faces clustered, named and dismissed; kept across a restart", { timeout: 600_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-faces-"));
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

  // --- Events as an agent sends them: the real models' embedding of the picture's face, its chip as the crop.
  const pipeline = await RecognitionPipeline.load({ threads: 1 });
  const model = pipeline.recognizer.modelId;
  const T0 = Date.now() - 600_000;
  const events = new FaceEvents(pipeline, T0);
  const eventOf = (file: string, camera: string, type: RecognitionEvent["type"], identity: string) =>
    events.of(file, camera, type, identity);
  const obama = [
    await eventOf(exampleImage("obama.jpg"), "cam-hall", "person_seen", "Barack Obama"),
    await eventOf(exampleImage("obama2.jpg"), "cam-door", "person_seen", "Barack Obama"),
    await eventOf(exampleImage("obama-480p.jpg"), "cam-door", "person_seen", "Barack Obama"),
  ];
  const blair: RecognitionEvent[] = [];
  for (const [i, file] of lfw("Tony_Blair", 5).entries())
    blair.push(await eventOf(file, i % 2 ? "cam-hall" : "cam-yard", "unknown_person", "Unknown"));
  const chavez: RecognitionEvent[] = [];
  for (const file of lfw("Hugo_Chavez", 4)) chavez.push(await eventOf(file, "cam-yard", "unknown_person", "Unknown"));
  const all = [...obama, ...blair, ...chavez];
  const idsOf = (events: RecognitionEvent[]) => new Set(events.map((e) => eventId(e)));
  const blairIds = idsOf(blair);
  const chavezIds = idsOf(chavez);
  const obamaIds = idsOf(obama);

  const start = async () =>
    startCoordinator(
      parseCoordinatorConfig({
        kafka: { brokers: [broker.bootstrap], clientId: "coordinator-faces" },
        mqtt: { embedded: { host: "127.0.0.1", port: MQTT_PORT } },
        http: { host: "127.0.0.1", port: 0, token: TOKEN },
        stateDir: path.join(dir, "coordinator"),
        liveness: { startupGraceMs: 500 },
        recognition: { threads: 1 },
      }),
      {
        log: (line) => logs.push(line),
        kafka: createKafka({ brokers: [broker.bootstrap], clientId: "coordinator-faces" }, logLevel.NOTHING),
      },
    );
  coordinator = await start();
  const call = async (method: string, route: string, body?: unknown, token: string | null = TOKEN) => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const response = await fetch(`${coordinator?.apiUrl}${route}`, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const type = response.headers.get("content-type") ?? "";
    return { status: response.status, type, bytes, json: type.includes("json") ? JSON.parse(bytes.toString()) : undefined };
  };
  const photo = (file: string) => ({ image: readFileSync(file).toString("base64") });
  const clusters = async () => faceClusterListSchema.parse((await call("GET", "/api/faces/clusters")).json) as FaceClusterList;

  // --- Publish to facefleet.events (again, until the coordinator's feed has joined: a redelivery is kept once).
  const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  t.after(() => producer.disconnect());
  const publish = () =>
    producer.send({ topic: topics.events, acks: -1, messages: all.map((e) => ({ key: e.camera, value: JSON.stringify(e) })) });
  await waitForAsync(
    "the coordinator to keep the unknown faces",
    async () => {
      if ((await clusters()).faces === blair.length + chavez.length) return true;
      await publish();
      return false;
    },
    120_000,
  );

  // --- Find a face.
  assert.equal((await call("POST", "/api/faces/search", photo(exampleImage("obama-720p.jpg")), null)).status, 401);
  const answer = await call("POST", "/api/faces/search?limit=50", photo(exampleImage("obama-720p.jpg")));
  assert.equal(answer.status, 200, answer.bytes.toString());
  const found = faceSearchResultSchema.parse(answer.json) as FaceSearchResult;
  assert.equal(found.model, model, "embedded with the events' recognizer");
  assert.equal(found.searched, all.length);
  assert.deepEqual(new Set(found.matches.map((m) => m.id)), obamaIds, "exactly Obama's events");
  const distances = found.matches.map((m) => m.distance);
  assert.deepEqual(
    distances,
    [...distances].sort((a, b) => a - b),
    "nearest first",
  );
  assert.ok(distances.every((d) => d <= found.maxDistance));
  assert.deepEqual(new Set(found.matches.map((m) => m.camera)), new Set(["cam-hall", "cam-door"]), "across cameras");
  const first = found.matches[0];
  assert.ok(first?.cropUrl && first.time >= T0);
  const crop = await call("GET", first.cropUrl);
  assert.equal(crop.status, 200);
  assert.match(crop.type, /image\/jpeg/);
  assert.deepEqual([...crop.bytes.subarray(0, 3)], [0xff, 0xd8, 0xff]);
  // A search for Blair finds Blair's unknown faces (a search looks back at unknown faces too).
  const forBlair = faceSearchResultSchema.parse((await call("POST", "/api/faces/search", photo(lfw("Tony_Blair", 7)[6] as string))).json);
  assert.ok(forBlair.matches.length >= 3, `Blair's faces found (${forBlair.matches.length})`);
  assert.ok(
    forBlair.matches.every((m) => blairIds.has(m.id)),
    "only Blair's",
  );
  // Refusals.
  const several = await call("POST", "/api/faces/search", photo(exampleImage("two_people.jpg")));
  assert.equal(several.status, 422);
  assert.equal(several.json.error, "several-faces");
  const bad = await call("POST", "/api/faces/search", { image: Buffer.from("not a picture at all").toString("base64") });
  assert.equal(bad.status, 422);
  assert.equal(bad.json.error, "bad-image");
  const invalid = await call("POST", "/api/faces/search", { picture: "x" });
  assert.equal(invalid.status, 400);
  assert.match(invalid.json.message, /image/);

  // --- Clusters: Blair's and Chávez's faces apart.
  const listed = await clusters();
  const clusterOf = (ids: Set<string>) =>
    listed.clusters.find((c) => c.faces.filter((f) => ids.has(f.id)).length >= Math.ceil(ids.size / 2));
  const blairCluster = clusterOf(blairIds);
  const chavezCluster = clusterOf(chavezIds);
  assert.ok(blairCluster && chavezCluster, JSON.stringify(listed.clusters.map((c) => c.faces.map((f) => f.id))));
  assert.notEqual(blairCluster.id, chavezCluster.id);
  assert.ok(
    blairCluster.faces.every((f) => blairIds.has(f.id)),
    "Blair's cluster is pure",
  );
  assert.ok(
    chavezCluster.faces.every((f) => chavezIds.has(f.id)),
    "Chávez's cluster is pure",
  );
  assert.ok(blairCluster.size >= 4, `Blair's cluster holds ${blairCluster.size} of 5`);
  assert.deepEqual(blairCluster.cameras.map((c) => c.camera).sort(), ["cam-hall", "cam-yard"]);
  assert.ok(blairCluster.firstSeen <= blairCluster.lastSeen);
  assert.ok(!listed.clusters.some((c) => c.faces.some((f) => obamaIds.has(f.id))), "named events are not clustered");
  const clusterCrop = await call("GET", blairCluster.faces[0]?.cropUrl as string);
  assert.equal(clusterCrop.status, 200);

  // Name Blair's cluster: its best faces enrolled on facefleet.gallery, as an agent's reader sees it.
  const agentGallery = new GalleryReader({ kafka: broker.kafka, topic: topics.gallery, clientName: "faces-agent-check" });
  await agentGallery.start(60_000);
  t.after(() => agentGallery.stop());
  const badName = await call("POST", `/api/faces/clusters/${blairCluster.id}/name`, { name: "Unknown" });
  assert.equal(badName.status, 400);
  const named = await call("POST", `/api/faces/clusters/${blairCluster.id}/name`, { name: "Tony Blair" });
  assert.equal(named.status, 200, named.bytes.toString());
  const result = nameClusterResultSchema.parse(named.json);
  assert.equal(result.named, blairCluster.size);
  assert.equal(result.enrolled, Math.min(5, blairCluster.size));
  await waitForAsync(
    "Tony Blair on facefleet.gallery",
    async () => agentGallery.get("Tony Blair")?.embeddings.length === result.enrolled,
    30_000,
  );
  const held = agentGallery.get("Tony Blair");
  assert.ok(held?.embeddings.every((e) => e.source.startsWith("event:") && blairIds.has(e.source.slice(6))));
  assert.equal(held?.recognizer.modelId, model);
  const people = await call("GET", "/api/people");
  assert.ok(people.json.people.some((p: { name: string; photos: number }) => p.name === "Tony Blair" && p.photos === result.enrolled));
  assert.equal((await call("POST", `/api/faces/clusters/${blairCluster.id}/name`, { name: "Tony Blair" })).status, 409, "gone: 409");

  const dismissed = await call("POST", `/api/faces/clusters/${chavezCluster.id}/dismiss`);
  assert.equal(dismissed.status, 200);
  assert.equal(dismissed.json.dismissed, chavezCluster.size);
  const after = await clusters();
  assert.ok(!after.clusters.some((c) => c.id === blairCluster.id || c.id === chavezCluster.id));
  assert.equal(after.faces, blair.length + chavez.length - blairCluster.size - chavezCluster.size);
  // A named face says who it is in a search.
  const again = faceSearchResultSchema.parse((await call("POST", "/api/faces/search", photo(lfw("Tony_Blair", 7)[6] as string))).json);
  assert.ok(again.matches.some((m) => m.namedAs === "Tony Blair"));

  // --- The OpenAPI document lists the routes.
  const openapi = (await call("GET", "/api/openapi.json", undefined, null)).json as { paths: Record<string, unknown> };
  for (const route of [
    "/api/faces/search",
    "/api/faces/clusters",
    "/api/faces/clusters/{id}/name",
    "/api/faces/clusters/{id}/dismiss",
    "/api/faces/{id}/crop.jpg",
  ])
    assert.ok(openapi.paths[route], `${route} documented`);

  // --- Restart with the same state dir: the faces and their marks are read back.
  await coordinator.stop();
  coordinator = await start();
  const afterRestart = faceSearchResultSchema.parse((await call("POST", "/api/faces/search", photo(exampleImage("obama-720p.jpg")))).json);
  assert.deepEqual(new Set(afterRestart.matches.map((m) => m.id)), obamaIds, "Obama's events found after the restart");
  assert.deepEqual(
    afterRestart.matches.map((m) => m.distance),
    distances,
  );
  const restartedClusters = await clusters();
  assert.equal(restartedClusters.faces, after.faces, "named and dismissed faces stay out of the clusters");
  assert.ok(logs.some((l) => /faces: \d+ kept faces read back/.test(l)));
});
