import { z } from "zod";

/**
 * The coordinator's live view (coordinator/media/, coordinator/api/routes-cameras.ts): the cameras whose
 * annotated frames (facefleet.annotated) it has seen, and the path of each one's newest JPEG.
 */

/** GET /api/cameras/:camera/latest.jpg */
export const cameraParamSchema = z.object({ camera: z.string().min(1).max(128) });

export const cameraSummarySchema = z.object({
  camera: z.string(),
  /** Capture time (epoch ms) of the newest annotated frame held for the camera. */
  updatedAt: z.number(),
});
export type CameraSummary = z.infer<typeof cameraSummarySchema>;

/** GET /api/cameras: sorted by camera id. */
export const cameraListSchema = z.object({ cameras: z.array(cameraSummarySchema) });
export type CameraList = z.infer<typeof cameraListSchema>;
