import * as ort from "onnxruntime-node";
import type { DetectorModel } from "../../models/manifest-schema.js";
import type { ModelSession } from "../../models/model-session.js";
import { prepareDetectorInput } from "../detector-input.js";
import type { DetectedFace } from "../face.js";
import type { DetectorSettings, FaceDetector } from "../face-detector.js";
import type { RgbImage } from "../image.js";
import { nonMaximumSuppression } from "../nms.js";
import { decodeYunet, rescaleFace, type YunetOutputs } from "../yunet-decode.js";

/**
 * The `yunet` family (opencv_zoo's YuNet, fixed 640x640 or dynamic input): BGR raw 0..255 padded to a multiple
 * of 32 (detector-input.ts), 12 outputs decoded as OpenCV's FaceDetectorYN (yunet-decode.ts), then NMS.
 */
export class YunetDetector implements FaceDetector {
  constructor(
    readonly loaded: ModelSession<DetectorModel & { id: string }>,
    readonly settings: DetectorSettings,
  ) {}

  async detect(image: RgbImage): Promise<DetectedFace[]> {
    const input = await prepareDetectorInput(image, this.settings.maxSide, this.loaded.model.fixedInputSize);
    const feeds = {
      [this.loaded.session.inputNames[0] as string]: new ort.Tensor("float32", input.tensor, [1, 3, input.height, input.width]),
    };
    const results = await this.loaded.session.run(feeds);
    const outputs: YunetOutputs = {};
    for (const [name, tensor] of Object.entries(results)) outputs[name] = tensor.data as Float32Array;
    const candidates = decodeYunet(outputs, input.width, input.height, this.settings.scoreThreshold);
    return nonMaximumSuppression(candidates, this.settings.nmsThreshold, this.settings.topK).map((f) => rescaleFace(f, input.scale));
  }
}
