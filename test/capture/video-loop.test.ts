/**
 * A looped video file is one ffmpeg for every loop (`-stream_loop -1`): frames keep their pace across the
 * seam. A new ffmpeg per loop paused the camera ~0.5-1 s each time, which made the demo's people who
 * return every loop come back after the 10 s visit gap (a new unknown_person and person_left per loop).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import { videoFileSource } from "../../agent/capture/video-file-source.js";

it("a looped clip runs in one ffmpeg and yields frames past several loops", async () => {
  const work = await mkdtemp(join(tmpdir(), "facefleet-video-loop-"));
  const clip = join(work, "one-second.mp4");
  // 1 s of test pattern at 10 fps.
  execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1", clip]);
  const starts = join(work, "starts.log");
  const wrapper = join(work, "ffmpeg");
  writeFileSync(wrapper, `#!/bin/sh\necho start >> '${starts}'\nexec ffmpeg "$@"\n`);
  chmodSync(wrapper, 0o755);
  const previous = process.env.FACEFLEET_FFMPEG;
  process.env.FACEFLEET_FFMPEG = wrapper;
  try {
    const abort = new AbortController();
    const times: number[] = [];
    for await (const frame of videoFileSource(clip, { fps: 10, loop: true, signal: abort.signal })) {
      assert.equal(frame.width, 160);
      times.push(frame.captureTime);
      if (times.length === 32) abort.abort();
    }
    assert.equal(times.length, 32, "frames of three loops and a bit");
    assert.equal(readFileSync(starts, "utf8").trim().split("\n").length, 1, "one ffmpeg for every loop");
    for (let i = 1; i < times.length; i++) assert.ok((times[i] as number) >= (times[i - 1] as number), "capture times never go back");
  } finally {
    if (previous === undefined) delete process.env.FACEFLEET_FFMPEG;
    else process.env.FACEFLEET_FFMPEG = previous;
  }
});

it("without loop the clip is read once", async () => {
  const work = await mkdtemp(join(tmpdir(), "facefleet-video-once-"));
  const clip = join(work, "one-second.mp4");
  execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc=size=160x120:rate=10:duration=1", clip]);
  let frames = 0;
  for await (const _ of videoFileSource(clip, { fps: 10 })) frames++;
  assert.ok(frames >= 9 && frames <= 11, `one second at 10 fps: ${frames} frames`);
});
