/**
 * RTSP capture against a real server: GStreamer's RTSP server (test/support/rtsp-server.py, Debian packages)
 * serves the Hamilton clip at rtsp://127.0.0.1:28554/cam; the capture role reads it through ffmpeg and sends the
 * frames to a real Kafka (port 21392/21393). The server is killed mid-stream and started again: capture
 * reconnects (a logged line, attempts backing off), frames flow again, and the camera's sequence numbers
 * continue: every frame on the topic has the next seq, none repeated, none reset.
 */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { CaptureRole } from "../../agent/capture/capture-role.js";
import { captureSettingsSchema } from "../../agent/config.js";
import { parseFrameHeaders } from "../../protocol/frame-headers.js";
import { topics } from "../../protocol/topics.js";
import { Collector, createTopics, startBroker, waitFor } from "../../testing/kafka-harness.js";
import { examplesDir, repoRoot } from "../../testing/paths.js";

const PORT = 28554;
const clip = path.join(examplesDir, "examples", "short_hamilton_clip.mp4");

/** Starts the RTSP server and resolves once it listens. */
function startRtspServer(): Promise<ChildProcess> {
  const child = spawn("/usr/bin/python3", [path.join(repoRoot, "test", "support", "rtsp-server.py"), String(PORT), "cam", clip], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr += d));
    child.stdout?.on("data", (d) => String(d).includes("ready") && resolve(child));
    child.once("error", reject);
    child.once("exit", (code) =>
      reject(new Error(`the RTSP server exited (${code}): ${stderr.trim()} (scripts/setup.sh --tests installs GStreamer's RTSP server)`)),
    );
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

test("RTSP from a real server: frames flow, the server dies and comes back, capture reconnects and seq continues", {
  timeout: 180_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-rtsp-"));
  mkdirSync(path.join(dir, "state"));
  let server = await startRtspServer();
  const broker = await startBroker(21392);
  const lines: string[] = [];
  let role: CaptureRole | undefined;
  let frames: Collector | undefined;
  t.after(async () => {
    await role?.stop().catch(() => undefined);
    await frames?.stop();
    await kill(server);
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, 1);
  frames = await Collector.start(broker.kafka, topics.frames);
  const collected = frames;
  role = await CaptureRole.start({
    kafka: broker.kafka,
    agentId: "rtsp-test",
    cameras: [{ camera: "stage", source: `rtsp://127.0.0.1:${PORT}/cam`, fps: 5, loop: false, v4l2: "auto" }],
    settings: captureSettingsSchema.parse({ stateDir: path.join(dir, "state"), flushTimeoutMs: 2000 }),
    log: (line) => lines.push(line),
  });
  const seqs = () => collected.messages.map((m) => parseFrameHeaders(m.headers ?? {}).seq);

  await waitFor("10 frames from the RTSP camera", () => collected.messages.length >= 10, 60_000);
  const first = parseFrameHeaders(collected.messages[0]?.headers ?? {});
  assert.equal(first.camera, "stage");
  assert.equal(collected.messages[0]?.key?.toString(), "stage");

  // The server dies mid-stream: capture notices and retries while it is away.
  await kill(server);
  const killedAt = Date.now();
  await waitFor(
    "a reconnect line",
    () => lines.some((l) => /rtsp rtsp:\/\/127\.0\.0\.1:28554\/cam: .*reconnecting in \d+s/.test(l)),
    30_000,
  );
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const beforeRestart = collected.messages.length;
  const lastBefore = Math.max(...seqs());

  server = await startRtspServer();
  const restartedAt = Date.now();
  await waitFor("frames again after the server is back", () => collected.messages.length >= beforeRestart + 10, 60_000);
  const backAfterMs = Date.now() - restartedAt;
  process.stdout.write(
    `RTSP: server away ${((restartedAt - killedAt) / 1000).toFixed(1)} s; 10 frames again ${(backAfterMs / 1000).toFixed(1)} s after it came back\n`,
  );
  assert.ok(backAfterMs < 40_000, `frames again ${backAfterMs} ms after the restart`);

  const all = seqs();
  for (let i = 1; i < all.length; i++)
    assert.equal(all[i], (all[i - 1] as number) + 1, `seq ${all[i - 1]} then ${all[i]}: no gap, repeat or reset`);
  const firstAfter = all[beforeRestart];
  assert.ok(firstAfter !== undefined && firstAfter > lastBefore, `seq continues after the reconnect (${lastBefore} -> ${firstAfter})`);
  assert.ok(
    lines.some((l) =>
      /rtsp rtsp:\/\/127\.0\.0\.1:28554\/cam: reconnected, frames again after \d+ attempts? \(\d+\.\ds without frames\)/.test(l),
    ),
    `a line says frames flow again:\n${lines.join("\n")}`,
  );
  const camera = role.snapshot().cameras.stage;
  assert.equal(camera?.state, "running");
});
