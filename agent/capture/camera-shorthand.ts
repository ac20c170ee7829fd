import { posix } from "node:path";

/**
 * The short way to name a camera of `roles.capture`, the same everywhere a person types one: `facefleet agent
 * --camera`, FACEFLEET_CAMERAS (deploy/env-config.ts) and facefleet.yaml's `agent.cameras` (deploy/image):
 *
 *   door=/dev/video0                     camera id `door`
 *   /dev/video2                          camera id `<agentId>-video2` (the source's last path part)
 *   rtsp://h/stream?channel=1            `<agentId>-stream`: the `=` of a query string is not an id
 *
 * The result is a roles.capture entry without the optional fields; the agent's schema checks it.
 */
export type CameraShorthand = { camera: string; source: string };

export function parseCameraShorthand(entry: string, agentId: string): CameraShorthand {
  const text = entry.trim();
  // `id=source`, unless the `=` belongs to the source (a URL's query string: rtsp://h/x?a=b).
  const eq = text.indexOf("=");
  const named = eq > 0 && !text.slice(0, eq).includes("/") && !text.slice(0, eq).includes(":");
  const source = named ? text.slice(eq + 1).trim() : text;
  if (named) return { camera: text.slice(0, eq).trim(), source };
  const last = posix.basename(source.replace(/[?#].*$/, "")).replace(/[^A-Za-z0-9._-]/g, "_");
  return { camera: `${agentId}-${last || "cam"}`, source };
}

/** Several cameras in one string, separated by `;` or line breaks (`door=/dev/video0; /dev/video2`). */
export function parseCameraList(text: string, agentId: string): CameraShorthand[] {
  return text
    .split(/[;\n]/)
    .map((s) => s.trim())
    .filter(Boolean)
    .map((entry) => parseCameraShorthand(entry, agentId));
}
