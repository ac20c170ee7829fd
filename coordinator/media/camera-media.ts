import type { CameraSummary } from "../../protocol/api-media.js";

/** The newest annotated frame of one camera. */
export type CameraFrame = {
  camera: string;
  /** Capture time (epoch ms) of the frame. */
  time: number;
  /** The annotated JPEG as the agent produced it. */
  jpeg: Buffer;
};

/** What the API's camera routes read (annotated-feed.ts holds it; tests may fake it). */
export interface CameraMedia {
  /** Every camera with a frame, sorted by id. */
  cameras(): CameraSummary[];
  latest(camera: string): CameraFrame | undefined;
}
