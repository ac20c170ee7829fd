/**
 * An RTSP camera through ffmpeg (`-rtsp_transport tcp`), decoded and re-encoded to JPEG at `fps`.
 * The stream is expected to drop: when ffmpeg exits or stalls, it is restarted after a backoff
 * (1 s doubling to 30 s, back to 1 s once frames flow again), forever, until the signal aborts.
 * Each reconnect is reported (onReconnect), and so is the first frame after one (onRecovered).
 */
import { setTimeout as sleep } from "node:timers/promises";
import { redactUrl, redactUrlIn } from "../../core/redact-url.js";
import { ffmpegFrames, jpegPipeOutput } from "./ffmpeg-frames.js";
import type { CapturedFrame, SourceOptions } from "./frame.js";

export type RtspOptions = SourceOptions & {
  fps: number;
  quality?: number;
  /** Each reconnect, with the reason and the wait before it. */
  onReconnect?: (reason: string, delayMs: number, attempt: number) => void;
  /** The first frame after one or more reconnects: how many attempts it took and how long no frame came. */
  onRecovered?: (attempts: number, withoutFramesMs: number) => void;
  minBackoffMs?: number;
  maxBackoffMs?: number;
  /** Socket I/O timeout: a silent camera counts as a failure after this long. */
  ioTimeoutMs?: number;
};

export const isRtspUrl = (source: string) => /^rtsps?:\/\//i.test(source);

/** The URL without its password, for messages (core/redact-url.ts). */
export { redactUrl };

export function backoffDelay(attempt: number, minMs: number, maxMs: number): number {
  return Math.min(maxMs, minMs * 2 ** Math.max(0, attempt - 1));
}

export async function* rtspSource(url: string, options: RtspOptions): AsyncGenerator<CapturedFrame> {
  const minMs = options.minBackoffMs ?? 1000;
  const maxMs = options.maxBackoffMs ?? 30_000;
  const timeoutUs = String((options.ioTimeoutMs ?? 10_000) * 1000);
  const input = ["-rtsp_transport", "tcp", "-timeout", timeoutUs, "-i", url];
  let attempt = 0;
  /** When the last frame before the current run of failures came (or the first connection began). */
  let lastFrameAt = Date.now();
  while (!options.signal?.aborted) {
    let reason = "stream ended";
    try {
      for await (const frame of ffmpegFrames(input, jpegPipeOutput(options.fps, options.quality), options.signal)) {
        if (attempt > 0) options.onRecovered?.(attempt, frame.captureTime - lastFrameAt);
        attempt = 0;
        lastFrameAt = frame.captureTime;
        yield frame;
      }
    } catch (error) {
      reason = error instanceof Error ? error.message : String(error);
      if (/ffmpeg not found/.test(reason)) throw error;
    }
    if (options.signal?.aborted) return;
    attempt++;
    const delay = backoffDelay(attempt, minMs, maxMs);
    // One line: the reason (ffmpeg's last stderr line, or the stream ended) with the password redacted.
    options.onReconnect?.(redactUrlIn(reason, url).replace(/\s*\n\s*/g, " "), delay, attempt);
    try {
      await sleep(delay, undefined, { signal: options.signal });
    } catch {
      return;
    }
  }
}
