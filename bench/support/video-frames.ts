import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** JPEG frames of a video at `fps`, decoded by ffmpeg into a temp folder (as a camera would send them). */
export function extractFrames(video: string, fps: number): Buffer[] {
  const dir = mkdtempSync(join(tmpdir(), "facefleet-frames-"));
  execFileSync("ffmpeg", ["-loglevel", "error", "-i", video, "-vf", `fps=${fps}`, "-q:v", "3", join(dir, "frame-%05d.jpg")]);
  return readdirSync(dir)
    .sort()
    .map((f) => readFileSync(join(dir, f)));
}
