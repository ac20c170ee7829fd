import { z } from "zod";
import { frameHeadersSchema } from "../../protocol/frame-headers.js";
import { UNKNOWN } from "../../recognition/match.js";
import { DEFAULT_PIXEL_BLOCKS } from "../../recognition/pixelate.js";

/**
 * Privacy of the annotated output (facefleet.annotated, the coordinator's live view), the agent config's
 * `worker.privacy`: the faces of the listed cameras that are not named (identity Unknown: nobody enrolled, or too
 * small or blurred to be named) are pixelated before the boxes are drawn (recognition/pixelate.ts). Detections,
 * events and their crops are not changed (the coordinator keeps those within its retention).
 */
export const privacySettingsSchema = z.strictObject({
  /** `all`: every camera this agent annotates; or the camera ids; `[]` (default): none. */
  pixelateUnknown: z.union([z.literal("all"), z.array(frameHeadersSchema.shape.camera)]).default([]),
  /** Cells across one face (its box grown by a fifth on each side); fewer is coarser. */
  pixelBlocks: z.number().int().min(2).max(32).default(DEFAULT_PIXEL_BLOCKS),
});

export type PrivacySettings = z.output<typeof privacySettingsSchema>;

/** Which faces of a camera's annotated frame are pixelated. */
export class PrivacyPolicy {
  private readonly cameras: ReadonlySet<string> | "all";

  constructor(readonly settings: PrivacySettings = privacySettingsSchema.parse({})) {
    this.cameras = settings.pixelateUnknown === "all" ? "all" : new Set(settings.pixelateUnknown);
  }

  /** Whether the camera's unknown faces are pixelated. */
  covers(camera: string): boolean {
    return this.cameras === "all" || this.cameras.has(camera);
  }

  /** Whether this face of the camera is pixelated: the camera is covered and the face is not named. */
  hides(camera: string, identity: string): boolean {
    return identity === UNKNOWN && this.covers(camera);
  }
}
