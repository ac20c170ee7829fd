import { z } from "zod";
import { frameHeadersSchema } from "../../protocol/frame-headers.js";

/**
 * When the worker makes annotated JPEGs (facefleet.annotated), as fields of the agent config's `worker` section.
 * Boxes and names are in every detection regardless: a client can draw them itself.
 */
export const annotationSettingsFields = {
  /**
   * `on-demand`: a camera's frames are annotated only while the live view watches it (the coordinator's
   * retained `facefleet/live-view` message, with its lease; needs the `mqtt` section) or it is listed in
   * `annotateAlways`; `always`: every camera; `never`. `true` / `false` (the older boolean) mean `always` / `never`.
   */
  annotated: z
    .union([z.enum(["on-demand", "always", "never"]), z.boolean().transform((on) => (on ? "always" : "never"))])
    .default("on-demand"),
  /** Cameras annotated even when nobody watches them (e.g. one re-streamed from facefleet.annotated). */
  annotateAlways: z.array(frameHeadersSchema.shape.camera).default([]),
  /** At most this many annotated frames per second of capture time, per camera; 0 = every frame. */
  annotateMaxFps: z.number().min(0).max(120).default(5),
};

const annotationSettingsSchema = z.strictObject(annotationSettingsFields);
export type AnnotationSettings = z.output<typeof annotationSettingsSchema>;
