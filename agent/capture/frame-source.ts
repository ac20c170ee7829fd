/**
 * `--source` to a frame source: rtsp:// URL, /dev/videoN, a directory of pictures, or a video file.
 * Each checks its input before the first frame (missing file or device: one clear line).
 */
import { statSync } from "node:fs";
import { FacefleetError } from "../../core/errors.js";
import type { CapturedFrame, SourceOptions } from "./frame.js";
import { imageDirSource, listPictures } from "./image-dir-source.js";
import { isRtspUrl, redactUrl, rtspSource } from "./rtsp-source.js";
import { assertCameraDevice, isV4l2Device, type V4l2Backend, v4l2Source } from "./v4l2-source.js";
import { assertReadableFile, videoFileSource } from "./video-file-source.js";

export type SourceKind = "rtsp" | "v4l2" | "image-dir" | "video-file";

export type OpenSourceOptions = SourceOptions & {
  fps: number;
  loop?: boolean;
  width?: number;
  height?: number;
  v4l2Backend?: V4l2Backend;
  /** Things worth a line on stderr that do not stop the source (an RTSP reconnect, a skipped picture). */
  onNotice?: (line: string) => void;
};

export function sourceKind(source: string): SourceKind {
  if (isRtspUrl(source)) return "rtsp";
  if (isV4l2Device(source)) return "v4l2";
  try {
    if (statSync(source).isDirectory()) return "image-dir";
  } catch {
    // a missing path is reported as a missing video file below
  }
  return "video-file";
}

/** Validates the source at once (throws FacefleetError) and returns its frames. */
export function openFrameSource(
  source: string,
  options: OpenSourceOptions,
): { kind: SourceKind; label: string; frames: AsyncGenerator<CapturedFrame> } {
  const kind = sourceKind(source);
  const notice = options.onNotice ?? (() => {});
  switch (kind) {
    case "rtsp":
      return {
        kind,
        label: redactUrl(source),
        frames: rtspSource(source, {
          ...options,
          onReconnect: (reason, delay, attempt) =>
            notice(`rtsp ${redactUrl(source)}: ${reason}; reconnecting in ${(delay / 1000).toFixed(0)}s (attempt ${attempt})`),
          onRecovered: (attempts, withoutMs) =>
            notice(
              `rtsp ${redactUrl(source)}: reconnected, frames again after ${attempts} attempt${attempts === 1 ? "" : "s"} (${(withoutMs / 1000).toFixed(1)}s without frames)`,
            ),
        }),
      };
    case "v4l2":
      assertCameraDevice(source);
      return { kind, label: source, frames: v4l2Source(source, { ...options, backend: options.v4l2Backend }) };
    case "image-dir":
      listPictures(source);
      return {
        kind,
        label: source,
        frames: imageDirSource(source, { ...options, onSkip: (path, reason) => notice(`skipped ${path}: ${reason}`) }),
      };
    case "video-file":
      if (source.includes("://")) throw new FacefleetError(`unsupported source URL ${source} (rtsp:// only)`);
      assertReadableFile(source, "source file");
      return { kind, label: source, frames: videoFileSource(source, options) };
  }
}
