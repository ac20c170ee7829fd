import * as ort from "onnxruntime-node";
import type { DetectorModel } from "../models/manifest-schema.js";
import type { ModelSession } from "../models/model-session.js";
import { prepareDetectorInput } from "./detector-input.js";
import type { DetectedFace } from "./face.js";
import type { RgbImage } from "./image.js";
import { nonMaximumSuppression } from "./nms.js";
import { decodeYunet, rescaleFace, type YunetOutputs } from "./yunet-decode.js";

export type DetectorSettings = {
  /** Longest side, in pixels, the frame is shrunk to before detection (dynamic-input models only). */
  maxSide: number;
  scoreThreshold: number;
  nmsThreshold: number;
  topK: number;
};

/** Score 0.7 (real faces in the shared pictures and video score 0.77-0.95, background false positives up to 0.69), NMS IoU 0.3 and top 5000 as opencv_zoo, detecting on at most 640 px. */
export const defaultDetectorSettings: DetectorSettings = { maxSide: 640, scoreThreshold: 0.7, nmsThreshold: 0.3, topK: 5000 };

/** YuNet face detector: picture in, faces with 5 landmarks out, in original image pixels, best first. */
export class FaceDetector {
  constructor(
    readonly loaded: ModelSession<DetectorModel & { id: string }>,
    readonly settings: DetectorSettings = defaultDetectorSettings,
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
