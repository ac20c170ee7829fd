/** One captured picture, as every source yields it and the frame producer sends it. */
export type CapturedFrame = {
  /** A complete baseline or progressive JPEG (SOI .. EOI). */
  jpeg: Buffer;
  width: number;
  height: number;
  /** Epoch milliseconds when the source handed the frame over (for a file: when it was "shown"). */
  captureTime: number;
};

/** What every source accepts: stop waiting (and kill its ffmpeg) when the signal aborts. */
export type SourceOptions = { signal?: AbortSignal };
