/**
 * Encryption at rest end to end: a Kafka broker from the jars, `startCoordinator` with its embedded MQTT broker, and
 * recognition events with real embeddings and crops (the real models on real pictures) on facefleet.events.
 *
 * 1. A key file from `facefleet keys create` (mode 600; a second create refuses and leaves it alone).
 * 2. A coordinator without encryptAtRest keeps the faces and an unknown-person alert: the raw bytes of its state dir
 *    hold the embeddings (float32 and base64) and JPEG headers (the scan below finds what it looks for).
 * 3. Restarted with encryptAtRest.keyFile: that store is encrypted in place at start (a log line), and from then on
 *    no file under the state dir holds an embedding's bytes, a crop's bytes, a JPEG header or the faces' JSON; the
 *    search still finds Obama's faces, the crops are served as JPEG, new faces are written sealed.
 * 4. Restarted with the key in an environment variable (keyEnv): everything read back, the search finds them.
 * 5. `facefleet coordinator` with another key, and with no key: one line naming the file, exit 1, no stack trace, and
 *    the files are as they were (nothing skipped, purged or rewritten).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import kafkajs from "kafkajs";
import { parseCoordinatorConfig } from "../../coordinator/config.js";
import { type RunningCoordinator, startCoordinator } from "../../coordinator/coordinator.js";
import { createKafka } from "../../kafka/client.js";
import { eventId } from "../../protocol/api-events.js";
import { type FaceSearchResult, faceClusterListSchema, faceSearchResultSchema } from "../../protocol/api-faces.js";
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

// Ports of this test only (32200 + the controller's 32201, MQTT 32210).
const KAFKA_PORT = 32200;
const MQTT_PORT = 32210;
const TOKEN = "faces-at-rest-token";
const BIN = new URL("../../../bin/facefleet.js", import.meta.url).pathname;

/** Runs the facefleet command in a child node; resolves with its exit code and output. */
function facefleet(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every file under `dir` (recursively) with its bytes. */
function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => {
      const file = path.join(entry.parentPath, entry.name);
      return { file, bytes: readFileSync(file) };
    });
}

/** What a face on disk must not show: its embedding (as the store keeps it and as sent), its crop, its JSON. */
function secretsOf(event: RecognitionEvent): { what: string; bytes: Buffer }[] {
  const sent = event.embedding as number[];
  const norm = Math.hypot(...sent) || 1;
  const stored = Float32Array.from(sent, (v) => v / norm);
  const raw = Buffer.from(stored.buffer);
  const crop = Buffer.from(event.crop as string, "base64");
  return [
    { what: "embedding float32 bytes", bytes: raw.subarray(0, 32) },
    { what: "embedding float32 bytes (middle)", bytes: raw.subarray(200, 232) },
    { what: "embedding as sent, float32", bytes: Buffer.from(Float32Array.from(sent).buffer).subarray(0, 32) },
    { what: "embedding in base64", bytes: Buffer.from(encodeVector(stored).slice(0, 40)) },
    { what: "crop bytes", bytes: crop.subarray(Math.floor(crop.length / 2), Math.floor(crop.length / 2) + 32) },
  ];
}
const JPEG_HEADER = Buffer.from([0xff, 0xd8, 0xff]);
const PLAIN_MARKS = [Buffer.from("facefleet-face"), Buffer.from("Barack Obama"), Buffer.from('"alert"')];

/** Where in the state dir's raw bytes the events' secrets, a JPEG header or a face's JSON show up. */
function leaks(stateDir: string, events: RecognitionEvent[]): string[] {
  const found: string[] = [];
  for (const { file, bytes } of filesUnder(stateDir)) {
    const name = path.relative(stateDir, file);
    if (bytes.includes(JPEG_HEADER)) found.push(`${name}: JPEG header`);
    for (const mark of PLAIN_MARKS) if (bytes.includes(mark)) found.push(`${name}: "${mark}"`);
    for (const event of events)
      for (const secret of secretsOf(event)) if (bytes.includes(secret.bytes)) found.push(`${name}: ${secret.what} of ${eventId(event)}`);
  }
  return found;
}

const digest = (dir: string) =>
  filesUnder(dir)
    .map(({ file, bytes }) => `${path.relative(dir, file)} ${createHash("sha256").update(bytes).digest("hex")}`)
    .sort();

test("faces and crops encrypted at rest: a plaintext store sealed at start, nothing readable on disk, read back with the key, a wrong key refused", {
  timeout: 600_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-at-rest-"));
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

  // --- 1. The key.
  const keyFile = path.join(dir, "keys", "at-rest.key");
  const created = await facefleet(["keys", "create", keyFile]);
  assert.equal(created.code, 0, created.stderr);
  const keyId = created.stdout.trim();
  assert.match(keyId, /^[0-9a-f]{16}$/);
  assert.equal(statSync(keyFile).mode & 0o777, 0o600);
  const keyText = readFileSync(keyFile, "utf8");
  const again = await facefleet(["keys", "create", keyFile]);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, `facefleet keys: ${keyFile} exists: not overwritten (its key may be the only one that reads your store)\n`);
  assert.equal(readFileSync(keyFile, "utf8"), keyText, "the key is unchanged");
  assert.equal((await facefleet(["keys", "id", keyFile])).stdout.trim(), keyId);

  // --- Events as an agent sends them.
  const pipeline = await RecognitionPipeline.load({ threads: 1 });
  const T0 = Date.now() - 600_000;
  const events = new FaceEvents(pipeline, T0);
  const obama = [
    await events.of(exampleImage("obama.jpg"), "cam-hall", "person_seen", "Barack Obama"),
    await events.of(exampleImage("obama2.jpg"), "cam-door", "person_seen", "Barack Obama"),
  ];
  const blair = [];
  for (const file of lfwPictures("Tony_Blair", 3)) blair.push(await events.of(file, "cam-yard", "unknown_person", "Unknown"));
  const later = [];
  for (const file of lfwPictures("Hugo_Chavez", 2)) later.push(await events.of(file, "cam-yard", "unknown_person", "Unknown"));

  const config = (extra: Record<string, unknown>) => ({
    kafka: { brokers: [broker.bootstrap], clientId: "coordinator-at-rest" },
    mqtt: { embedded: { host: "127.0.0.1", port: MQTT_PORT } },
    http: { host: "127.0.0.1", port: 0, token: TOKEN },
    stateDir,
    liveness: { startupGraceMs: 500 },
    recognition: { threads: 1 },
    ...extra,
  });
  const start = (extra: Record<string, unknown>) =>
    startCoordinator(parseCoordinatorConfig(config(extra)), {
      log: (line) => logs.push(line),
      kafka: createKafka({ brokers: [broker.bootstrap], clientId: "coordinator-at-rest" }, logLevel.NOTHING),
    });
  const call = async (method: string, route: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` };
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
  const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  t.after(() => producer.disconnect());
  /** Publishes until the coordinator keeps `count` faces (again until its feed has joined: a redelivery is kept once). */
  const publishUntilKept = async (batch: RecognitionEvent[], count: number) =>
    waitForAsync(
      `the coordinator to keep ${count} faces`,
      async () => {
        if (faceClusterListSchema.parse((await call("GET", "/api/faces/clusters")).json).faces >= count - obama.length) return true;
        await producer.send({ topic: topics.events, acks: -1, messages: batch.map((e) => ({ key: e.camera, value: JSON.stringify(e) })) });
        return false;
      },
      120_000,
    );
  const searchObama = async () => {
    const answer = await call("POST", "/api/faces/search?limit=50", {
      image: readFileSync(exampleImage("obama-720p.jpg")).toString("base64"),
    });
    assert.equal(answer.status, 200, answer.bytes.toString());
    return faceSearchResultSchema.parse(answer.json) as FaceSearchResult;
  };
  const obamaIds = new Set(obama.map((e) => eventId(e)));

  // --- 2. No encryption: the scan finds what is on disk.
  coordinator = await start({});
  assert.equal((await call("PUT", "/api/alerts/unknown/cam-yard", { enabled: true })).status, 200);
  await publishUntilKept([...obama, ...blair], obama.length + blair.length);
  await waitForAsync(
    "an unknown-person alert kept",
    async () => (await call("GET", "/api/alerts/unknown")).json.alerts.length >= 1,
    60_000,
  );
  await coordinator.stop();
  coordinator = undefined;
  const plainLeaks = leaks(stateDir, [...obama, ...blair]);
  // (The JSON holds the embedding in base64; its raw float32 bytes are looked for all the same.)
  for (const what of ["JPEG header", "embedding in base64 of", "crop bytes of", '"facefleet-face"', '"Barack Obama"', '"alert"'])
    assert.ok(
      plainLeaks.some((l) => l.includes(what)),
      `without encryption the scan finds ${what} (${plainLeaks.length} findings)`,
    );
  assert.ok(
    plainLeaks.some((l) => l.startsWith(`unknown${path.sep}`)),
    "the unknown-person crops are there too",
  );

  // --- 3. With the key file: sealed at start, nothing readable, still searchable.
  logs.length = 0;
  coordinator = await start({ encryptAtRest: { keyFile } });
  assert.ok(logs.includes(`encryptAtRest: faces and crops are encrypted on disk with key ${keyId}`), logs.join("\n"));
  const faceFiles = (obama.length + blair.length) * 2;
  assert.ok(
    logs.includes(`faces: ${faceFiles} files written before encryptAtRest was set are now encrypted`),
    logs.filter((l) => l.includes("faces") || l.includes("unknown")).join("\n"),
  );
  assert.ok(logs.some((l) => /^unknown alerts: \d+ files written before encryptAtRest was set are now encrypted$/.test(l)));
  assert.deepEqual(leaks(stateDir, [...obama, ...blair]), [], "nothing readable after the migration");
  let found = await searchObama();
  assert.deepEqual(new Set(found.matches.map((m) => m.id)), obamaIds, "the search still finds Obama's faces");
  const crop = await call("GET", found.matches[0]?.cropUrl as string);
  assert.equal(crop.status, 200);
  assert.deepEqual(crop.bytes, Buffer.from(obama.find((e) => eventId(e) === found.matches[0]?.id)?.crop as string, "base64"));
  const alerts = (await call("GET", "/api/alerts/unknown")).json.alerts as { cropUrl: string | null }[];
  const alertCrop = await call("GET", alerts[0]?.cropUrl as string);
  assert.equal(alertCrop.status, 200);
  assert.deepEqual([...alertCrop.bytes.subarray(0, 3)], [...JPEG_HEADER], "an unknown-person crop served as JPEG");
  await publishUntilKept(later, obama.length + blair.length + later.length);
  await coordinator.stop();
  coordinator = undefined;
  const everything = [...obama, ...blair, ...later];
  assert.deepEqual(leaks(stateDir, everything), [], "new faces are written sealed");
  const sealedFiles = filesUnder(path.join(stateDir, "faces"));
  assert.equal(sealedFiles.length, everything.length * 2, "a face: its JSON and its crop, no temporary file");
  for (const { file, bytes } of sealedFiles) {
    assert.equal(bytes.subarray(0, 4).toString("latin1"), "FFAR", file);
    assert.equal(bytes.subarray(5, 13).toString("hex"), keyId, `${file}: the header names the key`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
  }

  // --- 4. The key from an environment variable: read back.
  process.env.FACEFLEET_TEST_AT_REST_KEY = keyText;
  t.after(() => {
    delete process.env.FACEFLEET_TEST_AT_REST_KEY;
  });
  logs.length = 0;
  coordinator = await start({ encryptAtRest: { keyEnv: "FACEFLEET_TEST_AT_REST_KEY" } });
  assert.ok(logs.includes(`faces: ${everything.length} kept faces read back`), logs.join("\n"));
  assert.ok(!logs.some((l) => l.includes("now encrypted")), "nothing left to migrate");
  found = await searchObama();
  assert.deepEqual(new Set(found.matches.map((m) => m.id)), obamaIds, "found again after a restart");
  assert.equal(faceClusterListSchema.parse((await call("GET", "/api/faces/clusters")).json).faces, blair.length + later.length);
  await coordinator.stop();
  coordinator = undefined;

  // --- 5. Another key, and no key: one line, exit 1, nothing touched.
  const before = digest(stateDir);
  const otherKey = path.join(dir, "keys", "other.key");
  assert.equal((await facefleet(["keys", "create", otherKey])).code, 0);
  const otherId = (await facefleet(["keys", "id", otherKey])).stdout.trim();
  const configFile = (name: string, extra: Record<string, unknown>) => {
    const file = path.join(dir, name);
    writeFileSync(file, JSON.stringify(config(extra)));
    return file;
  };
  const wrong = await facefleet(["coordinator", "--config", configFile("wrong-key.json", { encryptAtRest: { keyFile: otherKey } })]);
  assert.equal(wrong.code, 1, wrong.stderr);
  const wrongLines = wrong.stderr.split("\n").filter((l) => l.startsWith("facefleet coordinator:"));
  assert.equal(wrongLines.length, 1, wrong.stderr);
  assert.match(
    wrongLines[0] as string,
    new RegExp(
      `^facefleet coordinator: ${stateDir}/(faces|unknown)/[0-9a-f]{16}\\.json is encrypted with key ${keyId}, not with the configured key ${otherId} \\(encryptAtRest\\): wrong key$`,
    ),
  );
  assert.doesNotMatch(wrong.stderr, /\n\s+at /, "no stack trace");
  const none = await facefleet(["coordinator", "--config", configFile("no-key.json", {})]);
  assert.equal(none.code, 1, none.stderr);
  assert.match(
    none.stderr,
    new RegExp(
      `\\nfacefleet coordinator: ${stateDir}/(faces|unknown)/[0-9a-f]{16}\\.json is encrypted at rest \\(key ${keyId}\\) but encryptAtRest is not set: configure the key that wrote it\\n$`,
    ),
  );
  const open = await facefleet([
    "coordinator",
    "--config",
    configFile("key-open.json", { encryptAtRest: { keyFile: path.join(dir, "missing.key") } }),
  ]);
  assert.equal(open.code, 1);
  assert.match(
    open.stderr,
    /^facefleet coordinator: key file .*missing\.key does not exist \(facefleet keys create .*missing\.key writes one\)\n$/,
  );
  assert.deepEqual(
    digest(stateDir).filter((l) => !/coordinator-state|retained|audit/.test(l)),
    before.filter((l) => !/coordinator-state|retained|audit/.test(l)),
    "the faces and crops are as they were",
  );
});
