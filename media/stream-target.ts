/**
 * Where a live stream can be published: an RTMP server (`rtmp://host/app/key`, also rtmps://) or an RTSP server
 * that accepts a publisher (`rtsp://host/path`). Shared by `facefleet restream --to` and the coordinator's
 * `restream[].to`, so both accept the same URLs.
 */
export type StreamProtocol = "rtmp" | "rtsp";

/** rtmp://, rtmps:// or rtsp://, a host, and a path. */
export const streamTargetPattern = /^(rtmps?|rtsp):\/\/[^\s/]+\/\S+$/;

/** The protocol of a publishable URL, or undefined. */
export function streamProtocolOf(target: string): StreamProtocol | undefined {
  if (!streamTargetPattern.test(target)) return undefined;
  return target.startsWith("rtsp:") ? "rtsp" : "rtmp";
}
