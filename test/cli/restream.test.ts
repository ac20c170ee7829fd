/**
 * `facefleet restream` with real parts: Kafka from the jars (21492/21493), `facefleet coordinator` (MQTT 18941,
 * HTTP 18942), an agent capturing a looping picture and annotating on demand, Debian's nginx-rtmp (21935). The
 * re-stream watches the camera through the coordinator (so the agent starts annotating it), publishes RTMP, and
 * ffprobe reads the stream back: H.264 at the annotated frames' size. Ctrl-C ends it with exit 0.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import sharp from "sharp";
import {
  CoordinatorApi,
  type FleetPorts,
  FleetProcess,
  fleetAgentMqtt,
  TEST_TOKEN,
  waitForAsync,
  writeCoordinatorConfig,
} from "../../testing/fleet.js";
import { createPlanTopic, createTopics, startBroker } from "../../testing/kafka-harness.js";
import { exampleImage, repoRoot, testModelDirs, useTestModels } from "../../testing/paths.js";
import { startRtmpServer } from "../support/rtmp-server.js";

useTestModels();

test("restream: a camera's annotated frames as RTMP that ffprobe reads back", { timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-restream-"));
  const rtmp = await startRtmpServer(21935);
  const broker = await startBroker(21492);
  const processes: FleetProcess[] = [];
  let restream: ReturnType<typeof spawn> | undefined;
  let restreamErr = "";
  let passed = false;
  t.after(async () => {
    if (!passed) process.stderr.write(`${processes.map((p) => p.dump(40)).join("\n")}\nrestream: ${restreamErr}\n`);
    restream?.kill("SIGKILL");
    await Promise.all(processes.map((p) => p.stop(5000)));
    await broker.stop();
    await rtmp.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, 2);
  await createPlanTopic(broker.kafka);
  const ports: FleetPorts = { bootstrap: broker.bootstrap, mqttPort: 18941, httpPort: 18942 };
  processes.push(new FleetProcess("coordinator", ["coordinator", "--config", writeCoordinatorConfig(dir, ports)]));
  const base = `http://127.0.0.1:${ports.httpPort}`;
  const api = new CoordinatorApi(base);
  await waitForAsync("the coordinator's API", () => api.reachable(), 60_000);

  const pictures = path.join(dir, "pictures");
  mkdirSync(pictures);
  const picture = exampleImage("obama.jpg");
  copyFileSync(picture, path.join(pictures, "1.jpg"));
  const { width = 0, height = 0 } = await sharp(picture).metadata();
  const agentConfig = path.join(dir, "one.json");
  writeFileSync(
    agentConfig,
    JSON.stringify({
      agentId: "one",
      kafka: { brokers: [broker.bootstrap], clientId: "one" },
      roles: { capture: [{ camera: "door", source: pictures, fps: 4, loop: true }] },
      capture: { stateDir: path.join(dir, "capture-state") },
      recognition: { threads: 1 },
      worker: { assignment: "plan", statsLogIntervalMs: 0, sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
      mqtt: fleetAgentMqtt(ports),
    }),
  );
  processes.push(new FleetProcess("one", ["agent", "--config", agentConfig]));
  await waitForAsync("the agent online", async () => (await api.agents()).some((a) => a.id === "one" && a.online), 60_000);
  const unwatched = await fetch(`${base}/api/cameras/door/latest.jpg`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  assert.equal(unwatched.status, 404, "nothing is annotated before the re-stream watches");

  const target = rtmp.url("stream-door");
  restream = spawn(
    process.execPath,
    [path.join(repoRoot, "bin", "facefleet.js"), "restream", "--camera", "door", "--to", target, "--coordinator", base, "--fps", "5"],
    {
      env: { ...process.env, FACEFLEET_API_TOKEN: TEST_TOKEN, FACEFLEET_MODELS: testModelDirs.join(path.delimiter) },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  restream.stderr?.on("data", (d) => (restreamErr += d));
  const exited = new Promise<number | null>((resolve) => restream?.once("exit", (code) => resolve(code)));

  let probe = { status: -1 as number | null, stdout: "", stderr: "" };
  await waitForAsync(
    "ffprobe reads the RTMP stream",
    async () => {
      const run = spawnSync(
        "ffprobe",
        ["-v", "error", "-rtmp_live", "live", "-show_entries", "stream=codec_name,width,height", "-of", "json", target],
        {
          encoding: "utf8",
          timeout: 15_000,
        },
      );
      probe = { status: run.status, stdout: run.stdout, stderr: run.stderr };
      return run.status === 0 && run.stdout.includes("h264");
    },
    90_000,
  );
  const streams = (JSON.parse(probe.stdout) as { streams: { codec_name: string; width: number; height: number }[] }).streams;
  assert.equal(streams[0]?.codec_name, "h264");
  assert.equal(streams[0]?.width, width - (width % 2), "the annotated frame's width (even)");
  assert.equal(streams[0]?.height, height - (height % 2));
  const watched = await fetch(`${base}/api/cameras/door/latest.jpg`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  assert.equal(watched.status, 200, "the agent annotates the camera while it is re-streamed");

  restream.kill("SIGINT");
  assert.equal(await exited, 0, restreamErr);
  assert.match(restreamErr, /restream door: stopped: \d+ annotated frames received, \d+ pictures sent/);
  passed = true;
});

test("restream: bad options are one line and exit 2", () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [path.join(repoRoot, "bin", "facefleet.js"), "restream", ...args], {
      encoding: "utf8",
      env: { ...process.env, FACEFLEET_API_TOKEN: "" },
    });
  const noCamera = run(["--to", "rtmp://127.0.0.1/live/x", "--token", "t"]);
  assert.equal(noCamera.status, 2);
  assert.equal(noCamera.stderr, "facefleet restream: --camera is required\n");
  const badTarget = run(["--camera", "c", "--to", "http://x", "--token", "t"]);
  assert.equal(badTarget.status, 2);
  assert.equal(badTarget.stderr, "facefleet restream: --to must be an rtmp:// or rtsp:// URL, got 'http://x'\n");
  const noToken = run(["--camera", "c", "--to", "rtmp://127.0.0.1/live/x"]);
  assert.equal(noToken.status, 2);
  assert.match(noToken.stderr, /API token is needed/);
});
