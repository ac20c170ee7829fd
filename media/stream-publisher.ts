/**
 * Publishes JPEG pictures as a live H.264 stream through ffmpeg: RTMP (`rtmp://host/app/key`, FLV) or RTSP
 * (`rtsp://host/path`, to a server that accepts a publisher). `frame()` is asked for a picture at a steady `fps`
 * (the newest one is repeated while none newer has come, so players see a constant rate). When ffmpeg exits
 * (the server went away) it is started again after a backoff, 1 s doubling to 30 s. ffmpeg reads the pictures
 * on its stdin, so it ends by itself when the process that feeds it dies (no orphan encoder). Used by
 * `facefleet restream` (cli/commands/restream.ts) and the coordinator's `restream` feature.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { UsageError } from "../core/errors.js";
import { ffmpegPath } from "./ffmpeg-path.js";
import { streamProtocolOf } from "./stream-target.js";

export type StreamPublisherOptions = {
  target: string;
  fps: number;
  frame: () => Buffer | undefined;
  log: (line: string) => void;
};

/** ffmpeg's output arguments for a target URL; a UsageError for a scheme it cannot publish to. */
export function outputArgs(target: string, fps: number): string[] {
  const encode = [
    "-c:v",
    "libx264",
    "-preset",
    "veryfast",
    "-tune",
    "zerolatency",
    "-pix_fmt",
    "yuv420p",
    "-g",
    String(Math.max(1, Math.round(fps * 2))),
  ];
  // Odd sizes cannot be yuv420p: round down to even.
  const even = ["-vf", "scale=trunc(iw/2)*2:trunc(ih/2)*2"];
  const protocol = streamProtocolOf(target);
  if (protocol === "rtmp") return [...even, ...encode, "-f", "flv", target];
  if (protocol === "rtsp") return [...even, ...encode, "-f", "rtsp", "-rtsp_transport", "tcp", target];
  throw new UsageError(`cannot publish to '${target}': not an rtmp:// or rtsp:// URL with a host and a path`);
}

export class StreamPublisher {
  written = 0;
  restarts = 0;
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = 1000;
  private stopped = false;

  constructor(private readonly o: StreamPublisherOptions) {
    outputArgs(o.target, o.fps); // refuse a bad target before anything starts
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), 1000 / this.o.fps);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.retry);
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.stdin?.end();
      const kill = setTimeout(() => child.kill("SIGKILL"), 3000);
      await exited;
      clearTimeout(kill);
    }
  }

  private tick(): void {
    const jpeg = this.o.frame();
    if (jpeg === undefined || this.stopped) return;
    if (!this.child) this.launch();
    const stdin = this.child?.stdin;
    if (stdin?.writable && stdin.writableLength < 4 * jpeg.length) {
      stdin.write(jpeg);
      this.written++;
    }
  }

  private launch(): void {
    const input = ["-f", "image2pipe", "-framerate", String(this.o.fps), "-i", "pipe:0"];
    const child = spawn(
      ffmpegPath(),
      ["-hide_banner", "-nostdin", "-loglevel", "error", ...input, ...outputArgs(this.o.target, this.o.fps)],
      {
        stdio: ["pipe", "ignore", "pipe"],
      },
    );
    this.child = child;
    let stderr = "";
    child.stderr?.on("data", (d) => (stderr = (stderr + String(d)).slice(-2000)));
    child.stdin?.on("error", () => undefined); // EPIPE when ffmpeg dies; exit handles it
    const started = Date.now();
    child.once("error", (error) => this.o.log(`cannot start ffmpeg: ${error.message}`));
    child.once("exit", (code) => {
      this.child = undefined;
      if (this.stopped) return;
      if (Date.now() - started > 10_000) this.backoffMs = 1000;
      const last = stderr.trim().split("\n").pop() ?? "";
      this.o.log(`ffmpeg to ${this.o.target} exited (${code ?? "signal"}${last ? `: ${last}` : ""}); again in ${this.backoffMs / 1000} s`);
      this.restarts++;
      clearInterval(this.timer);
      this.retry = setTimeout(() => {
        if (!this.stopped) this.start();
      }, this.backoffMs);
      this.backoffMs = Math.min(30_000, this.backoffMs * 2);
    });
  }
}
