import { z } from "zod";
import type { AttributeName } from "../../models/manifest-schema.js";
import { frameHeadersSchema } from "../../protocol/frame-headers.js";
import { attributeListSchema } from "../../recognition/attributes/attribute-models.js";

/**
 * worker.attributes: which per-face attributes (emotion, age, gender: recognition/attributes/) the worker
 * estimates, per camera, and how often. Off by default: no attribute model is loaded then.
 *
 *   "attributes": { "estimate": ["emotion"], "cameras": { "door": ["emotion", "age", "gender"], "yard": [] } }
 */
export const attributeSettingsSchema = z.strictObject({
  /** The attributes of every camera's faces that `cameras` does not list; [] (default): none. */
  estimate: attributeListSchema.default([]),
  /** Per camera id, instead of `estimate` ([] turns them off for that camera). */
  cameras: z.record(frameHeadersSchema.shape.camera, attributeListSchema).default({}),
  /**
   * `track` (default): once per track, on its first face large enough to be named (recognition.minFaceSize)
   * that follows the track alone (as recognise-once decides), shown on all its faces and in its events;
   * `frame`: on every such face in every frame (each face shows its own).
   */
  every: z.enum(["track", "frame"]).default("track"),
});

export type AttributeSettings = z.output<typeof attributeSettingsSchema>;

/** The attributes of one camera's faces. */
export function attributesFor(settings: AttributeSettings, camera: string): AttributeName[] {
  return settings.cameras[camera] ?? settings.estimate;
}

/** Every attribute some camera uses: the models the agent loads. */
export function attributesInUse(settings: AttributeSettings): AttributeName[] {
  return [...new Set([...settings.estimate, ...Object.values(settings.cameras).flat()])];
}
