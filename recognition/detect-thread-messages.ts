import type { DetectedFace } from "./face.js";
import type { RejectedFace } from "./face-plausibility.js";
import type { RgbImage } from "./image.js";

/** Messages between detect-thread.ts and the thread it starts (detect-thread-entry.ts). */
export type DetectRequest = { id: number; bytes: Uint8Array; source?: string };

export type DetectThreadReply =
  | { kind: "ready"; model: string; provider: string }
  | { kind: "not-loaded"; message: string }
  | {
      kind: "detected";
      id: number;
      image: RgbImage;
      faces: DetectedFace[];
      rejected: RejectedFace[];
      timings: { decode: number; detect: number };
    }
  | { kind: "failed"; id: number; name: string; message: string };
