/**
 * The coordinator's `restream` option with real parts: Kafka from the jars (30492/30493), `facefleet coordinator`
 * (MQTT 30941, HTTP 30942) with `restream: [{camera: "door", to: rtmp://…/live/stream-door}]`, an agent capturing
 * the Hamilton clip on a loop and annotating on demand, Debian's nginx-rtmp (RTMP 30935) with HLS on (HTTP 30936).
 * Nobody watches the camera in a dashboard: the coordinator's own viewer makes the agent annotate it, and ffprobe
 * reads H.264 at the clip's size back from RTMP and from the HLS playlist. SIGKILLing the coordinator ends its
 * ffmpeg too (stdin closed); a restarted coordinator publishes again; SIGTERM stops it with exit 0 and no ffmpeg
 * left. A bad `restream` entry is one line naming the field, exit 1.
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import {
  CoordinatorApi,
  type FleetPorts,
  FleetProcess,
  fleetAgentMqtt,
  TEST_TOKEN,
  waitForAsync,
  writeCoordinatorConfig,
} from "../../testing/fleet.js";
import { loadClipLabels } from "../../testing/hamilton-clip.js";
import { createPlanTopic, createTopics, startBroker } from "../../testing/kafka-harness.js";
import { repoRoot, sharedDir, useTestModels } from "../../testing/paths.js";
import { startRtmpServer } from "../support/rtmp-server.js";

useTestModels();
const execFileAsync = promisify(execFile);

type ProbedStream = { codec_name: string; width: number; height: number };

/**
 * ffprobe's first video stream of a live URL, or undefined while it cannot read one. Asynchronous, so the
 * processes' logs keep being read while it waits for the stream.
 */
async function probeVideo(url: string, extra: string[] = []): Promise<ProbedStream | undefined> {
  try {
    const { stdout } = await execFileAsync(
      "ffprobe",
      ["-v", "error", ...extra, "-select_streams", "v:0", "-show_entries", "stream=codec_name,width,height", "-of", "json", url],
      { encoding: "utf8", timeout: 20_000 },
    );
    return (JSON.parse(stdout) as { streams?: ProbedStream[] }).streams?.[0];
  } catch {
    return undefined;
  }
}

/** Waits until ffprobe reads a video stream from `url`; that stream. */
async function waitForVideo(what: string, url: string, extra: string[], timeoutMs: number): Promise<ProbedStream | undefined> {
  let stream: ProbedStream | undefined;
  await waitForAsync(
    what,
    async () => {
      stream = await probeVideo(url, extra);
      return stream !== undefined;
    },
    timeoutMs,
  );
  return stream;
}

/** The ffmpeg processes a process started that publish to `target` (their pids). */
function ffmpegChildren(parentPid: number, target: string): number[] {
  const ps = spawnSync("ps", ["-o", "pid=,args=", "--ppid", String(parentPid)], { encoding: "utf8" });
  return ps.stdout
    .split("\n")
    .filter((line) => line.includes("ffmpeg") && line.includes(target))
    .map((line) => Number.parseInt(line.trim(), 10));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

test("coordinator restream: a camera's annotated frames as RTMP and HLS, ffmpeg ends with the coordinator", {
  timeout: 420_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-coordinator-restream-"));
  const rtmp = await startRtmpServer(30935, { hlsPort: 30936 });
  const broker = await startBroker(30492);
  const processes: FleetProcess[] = [];
  let passed = false;
  t.after(async () => {
    if (!passed) process.stderr.write(`${processes.map((p) => p.dump(40)).join("\n")}\n`);
    await Promise.all(processes.map((p) => p.stop(5000)));
    await broker.stop();
    await rtmp.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, 2);
  await createPlanTopic(broker.kafka);

  const target = rtmp.url("stream-door");
  const ports: FleetPorts = { bootstrap: broker.bootstrap, mqttPort: 30941, httpPort: 30942 };
  const coordinatorConfig = writeCoordinatorConfig(dir, ports, { restream: [{ camera: "door", to: target, fps: 5 }] });
  const base = `http://127.0.0.1:${ports.httpPort}`;
  const api = new CoordinatorApi(base);
  const startCoordinator = async (name: string) => {
    const coordinator = new FleetProcess(name, ["coordinator", "--config", coordinatorConfig]);
    processes.push(coordinator);
    await waitForAsync(`${name}'s API`, () => api.reachable(), 60_000);
    return coordinator;
  };
  let coordinator = await startCoordinator("coordinator");

  const labels = loadClipLabels();
  const agentConfig = path.join(dir, "one.json");
  writeFileSync(
    agentConfig,
    JSON.stringify({
      agentId: "one",
      kafka: { brokers: [broker.bootstrap], clientId: "one" },
      roles: { capture: [{ camera: "door", source: path.join(sharedDir, labels.video), fps: 4, loop: true }] },
      capture: { stateDir: path.join(dir, "capture-state") },
      recognition: { threads: 1 },
      worker: { assignment: "plan", statsLogIntervalMs: 0, sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 },
      mqtt: fleetAgentMqtt(ports),
    }),
  );
  processes.push(new FleetProcess("one", ["agent", "--config", agentConfig]));
  await waitForAsync("the agent online", async () => (await api.agents()).some((a) => a.id === "one" && a.online), 60_000);

  // No dashboard watches "door": the coordinator's own viewer is what makes the agent annotate it.
  const rtmpStream = await waitForVideo("ffprobe reads the RTMP stream", target, ["-rtmp_live", "live"], 120_000);
  assert.equal(rtmpStream?.codec_name, "h264");
  assert.equal(rtmpStream?.width, labels.width, "the annotated frame's width");
  assert.equal(rtmpStream?.height, labels.height);
  assert.ok(coordinator.find(/restream door: first annotated frame, publishing to rtmp:/), "published from annotated frames");
  const latest = await fetch(`${base}/api/cameras/door/latest.jpg`, { headers: { authorization: `Bearer ${TEST_TOKEN}` } });
  assert.equal(latest.status, 200, "the agent annotates the re-streamed camera");
  await latest.body?.cancel();

  // The same stream as HLS, from nginx-rtmp's `hls on`.
  const hlsStream = await waitForVideo("ffprobe reads the HLS playlist", rtmp.hlsUrl("stream-door"), [], 60_000);
  assert.equal(hlsStream?.codec_name, "h264");
  assert.equal(hlsStream?.width, labels.width);
  assert.equal(hlsStream?.height, labels.height);

  // A coordinator that dies takes its ffmpeg with it: ffmpeg reads the pictures on its stdin.
  const coordinatorPid = coordinator.child.pid as number;
  const [killedFfmpeg, ...more] = ffmpegChildren(coordinatorPid, target);
  assert.ok(killedFfmpeg !== undefined && more.length === 0, "one ffmpeg, started by the coordinator, publishes the stream");
  await coordinator.kill("SIGKILL");
  await waitForAsync("ffmpeg ends after the coordinator was SIGKILLed", () => !alive(killedFfmpeg), 15_000);

  // A restarted coordinator publishes again; SIGTERM stops it and its ffmpeg.
  coordinator = await startCoordinator("coordinator-again");
  await waitForAsync(
    "the restarted coordinator publishes",
    async () =>
      coordinator.find(/restream door: first annotated frame/) !== undefined &&
      (await probeVideo(target, ["-rtmp_live", "live"])) !== undefined,
    120_000,
  );
  // The publisher is the restarted coordinator's own ffmpeg (its child; looked for a while, ps is a snapshot).
  let ffmpeg: number | undefined;
  await waitForAsync(
    "the restarted coordinator runs ffmpeg",
    () => {
      [ffmpeg] = ffmpegChildren(coordinator.child.pid as number, target);
      return ffmpeg !== undefined && alive(ffmpeg);
    },
    20_000,
  ).catch((error: Error) => {
    const ps = spawnSync("ps", ["-eo", "pid,ppid,args"], { encoding: "utf8" }).stdout;
    throw new Error(
      `${error.message}; coordinator ${coordinator.child.pid}; ffmpeg processes:\n${ps
        .split("\n")
        .filter((l) => l.includes("ffmpeg"))
        .join("\n")}`,
    );
  });
  coordinator.child.kill("SIGTERM");
  assert.equal(await coordinator.exited, 0, "SIGTERM stops the coordinator with exit 0");
  assert.equal(alive(ffmpeg as number), false, "no ffmpeg left after the coordinator stopped");
  passed = true;
});

test("coordinator restream: a bad entry is one line naming the field, exit 1", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-coordinator-restream-config-"));
  try {
    const run = (restream: unknown) => {
      const file = path.join(dir, "coordinator.json");
      writeFileSync(file, JSON.stringify({ restream }));
      return spawnSync(process.execPath, [path.join(repoRoot, "bin", "facefleet.js"), "config", "check", "coordinator", file], {
        encoding: "utf8",
      });
    };
    const http = run([{ camera: "door", to: "http://127.0.0.1/live/door" }]);
    assert.equal(http.status, 1);
    assert.match(
      http.stderr,
      /^facefleet config: coordinator config \S+: restream\.0\.to: must be an rtmp:\/\/ or rtsp:\/\/ URL with a host and a path/,
    );
    assert.equal(http.stderr.trim().split("\n").length, 1);
    const twice = run([
      { camera: "a", to: "rtmp://127.0.0.1/live/x" },
      { camera: "b", to: "rtmp://127.0.0.1/live/x" },
    ]);
    assert.equal(twice.status, 1);
    assert.match(twice.stderr, /restream\.1\.to: published to twice\n$/);
    const fps = run([{ camera: "door", to: "rtsp://127.0.0.1/door", fps: 0 }]);
    assert.equal(fps.status, 1);
    assert.match(fps.stderr, /restream\.0\.fps: Too small/);
    const good = run([{ camera: "door", to: "rtsp://127.0.0.1/door", fps: 2 }]);
    assert.equal(good.status, 0, good.stderr);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
