import type { Detection } from "../../protocol/detection.js";
import { annotateImage } from "../../recognition/annotate.js";
import { attributeLabel } from "../../recognition/attributes/attribute-label.js";
import type { RgbImage } from "../../recognition/image.js";
import { pixelateRegions } from "../../recognition/pixelate.js";
import type { AnnotationDemand } from "./annotation-demand.js";
import { PrivacyPolicy } from "./privacy-settings.js";

/**
 * The worker's annotate step: the frame's picture with each face's box, name and distance drawn (the
 * detection's own), and its attributes under the name when the detection's face carries them (worker.attributes:
 * `happy · 43 · m`), as JPEG — only for the frames the demand (annotation-demand.ts) takes; otherwise null and
 * nothing is drawn or encoded. On a camera the privacy policy covers (privacy-settings.ts), the faces that are not
 * named are pixelated first (recognition/pixelate.ts); their box and "Unknown" are still drawn.
 */
export class FrameAnnotator {
  constructor(
    readonly demand: AnnotationDemand,
    readonly privacy: PrivacyPolicy = new PrivacyPolicy(),
  ) {}

  async annotate(
    camera: string,
    captureTime: number,
    image: RgbImage,
    faces: readonly Detection["faces"][number][],
  ): Promise<Buffer | null> {
    if (!this.demand.take(camera, captureTime)) return null;
    const boxes = faces.map((face) => ({ x: face.box[0], y: face.box[1], width: face.box[2], height: face.box[3] }));
    const hidden = boxes.filter((_, i) => this.privacy.hides(camera, (faces[i] as Detection["faces"][number]).identity));
    const picture = hidden.length > 0 ? pixelateRegions(image, hidden, { blocks: this.privacy.settings.pixelBlocks }) : image;
    return annotateImage(
      picture,
      faces.map((face, i) => ({
        box: boxes[i] as (typeof boxes)[number],
        identity: face.identity,
        detail: face.distance !== undefined ? face.distance.toFixed(2) : undefined,
        attributes: attributeLabel(face.attributes),
      })),
    );
  }
}
