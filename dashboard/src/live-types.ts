/**
 * Live view API — NOT YET in protocol/api.ts nor on the server. Typed here so the dashboard can be
 * written against it; the lead moves these into protocol/api.ts (as zod schemas) and implements them:
 *
 *   GET /api/cameras                      → CameraList
 *   GET /api/cameras/:camera/latest.jpg   → the newest annotated JPEG of that camera (404 before the first)
 *   WebSocket /api/stream message         → FrameMessage, whenever a camera has a new annotated frame
 *
 * Once they are in protocol/api.ts, import them from there and delete this file.
 */

export interface CameraSummary {
  camera: string;
  /** Epoch ms of the newest annotated frame, null before the first. */
  updatedAt: number | null;
}

export interface CameraList {
  cameras: CameraSummary[];
}

/** Stream message: camera has a new latest.jpg (the dashboard appends `?t=time` to bust caches). */
export interface FrameMessage {
  type: "frame";
  camera: string;
  /** Epoch ms of the frame. */
  time: number;
}
