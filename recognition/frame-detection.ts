import { performance } from "node:perf_hooks";
import type { DetectedFaces } from "./detect-stage.js";
import type { RgbImage } from "./image.js";

/** One frame's bytes decoded and its faces detected, with the milliseconds of each stage. */
export type DecodedDetection = DetectedFaces & { image: RgbImage; timings: { decode: number; detect: number } };

/**
 * Where frames are decoded and their faces detected: on the calling thread (inProcessDetection) or on a thread of
 * its own (detect-thread.ts), so that one frame is detected while the previous one is aligned and embedded.
 * Rejects with DecodeError (decode.ts) for bytes that are not a picture.
 */
export type FrameDetection = {
  readonly where: string;
  /** `source`: the frame's camera (the plausibility check follows its faces from frame to frame: detect-stage.ts). */
  run(bytes: Uint8Array, source?: string): Promise<DecodedDetection>;
  close(): Promise<void>;
};

/** decode and detect as two calls, as RecognitionPipeline has them. */
export type DecodeAndDetect = {
  decode(bytes: Uint8Array): Promise<RgbImage>;
  detect(image: RgbImage, source?: string): Promise<DetectedFaces>;
};

export function inProcessDetection(stages: DecodeAndDetect): FrameDetection {
  return {
    where: "main thread",
    async run(bytes, source) {
      const t0 = performance.now();
      const image = await stages.decode(bytes);
      const t1 = performance.now();
      const detected = await stages.detect(image, source);
      return { ...detected, image, timings: { decode: t1 - t0, detect: performance.now() - t1 } };
    },
    close: async () => {},
  };
}
