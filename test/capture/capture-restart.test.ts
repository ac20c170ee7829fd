/**
 * The capture role's restart (the coordinator's `restart-capture` command): every camera's source is
 * closed and opened again while the sequence numbers continue, and a camera whose file source had ended
 * runs again. The frames go to a producer whose broker is not there (offer() never blocks; they are
 * queued and dropped), so only the capture side is exercised here; the agent's ack of the command is in
 * test/mqtt/health-units.test.ts's command answers.
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import kafkajs from "kafkajs";
import { CaptureRole } from "../../agent/capture/capture-role.js";
import { captureSettingsSchema } from "../../agent/config.js";
import { waitFor } from "../../testing/kafka-harness.js";
import { examplesDir } from "../../testing/paths.js";

const { Kafka, logLevel } = kafkajs;

test("capture restart: sources reopen, seq continues; an ended source runs again", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-capture-restart-"));
  mkdirSync(path.join(dir, "state"));
  const lines: string[] = [];
  // No broker on this port: the producer queues and drops, capture goes on.
  const kafka = new Kafka({ clientId: "restart-test", brokers: ["127.0.0.1:1"], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  const role = await CaptureRole.start({
    kafka,
    agentId: "restart-test",
    cameras: [
      { camera: "looped", source: path.join(examplesDir, "examples"), fps: 20, loop: true, v4l2: "auto" },
      { camera: "once", source: path.join(examplesDir, "examples"), fps: 50, loop: false, v4l2: "auto" },
    ],
    settings: captureSettingsSchema.parse({ stateDir: path.join(dir, "state"), flushTimeoutMs: 0 }),
    log: (line) => lines.push(line),
  });
  t.after(async () => {
    await role.stop().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  });

  await waitFor("the file-once camera to end", () => role.snapshot().cameras.once?.state === "ended", 30_000);
  await waitFor("a few looped frames", () => (role.snapshot().cameras.looped?.captured ?? 0) >= 5, 30_000);
  const before = role.snapshot().cameras;
  const onceBefore = before.once?.captured ?? 0;
  const loopedSeq = before.looped?.nextSeq ?? 0;

  assert.equal(role.restart(), 2);
  await waitFor(
    "the looped camera restarted",
    () => lines.some((l) => /capture looped: source restarted \(seq continues from \d+\)/.test(l)),
    10_000,
  );
  assert.ok(
    lines.some((l) => /capture once: source started again/.test(l)),
    lines.join("\n"),
  );
  await waitFor("the once camera captured again", () => (role.snapshot().cameras.once?.captured ?? 0) > onceBefore, 20_000);
  await waitFor("looped frames after the restart", () => (role.snapshot().cameras.looped?.nextSeq ?? 0) > loopedSeq + 3, 20_000);
  const after = role.snapshot().cameras;
  assert.equal(after.looped?.state, "running");
  assert.equal(after.looped?.failures, 0);
  assert.ok((after.looped?.nextSeq ?? 0) > loopedSeq, "seq continues, never restarts from 0");
});
