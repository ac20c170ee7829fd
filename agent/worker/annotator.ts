import type { Detection } from "../../protocol/detection.js";
import { annotateImage } from "../../recognition/annotate.js";
import { attributeLabel } from "../../recognition/attributes/attribute-label.js";
import type { RgbImage } from "../../recognition/image.js";
import type { AnnotationDemand } from "./annotation-demand.js";

/**
 * The worker's annotate step: the frame's picture with each face's box, name and distance drawn (the
 * detection's own), and its attributes under the name when the detection's face carries them (worker.attributes:
 * `happy · 43 · m`), as JPEG — only for the frames the demand (annotation-demand.ts) takes; otherwise null and
 * nothing is drawn or encoded.
 */
export class FrameAnnotator {
  constructor(readonly demand: AnnotationDemand) {}

  async annotate(
    camera: string,
    captureTime: number,
    image: RgbImage,
    faces: readonly Detection["faces"][number][],
  ): Promise<Buffer | null> {
    if (!this.demand.take(camera, captureTime)) return null;
    return annotateImage(
      image,
      faces.map((face) => ({
        box: { x: face.box[0], y: face.box[1], width: face.box[2], height: face.box[3] },
        identity: face.identity,
        detail: face.distance !== undefined ? face.distance.toFixed(2) : undefined,
        attributes: attributeLabel(face.attributes),
      })),
    );
  }
}
