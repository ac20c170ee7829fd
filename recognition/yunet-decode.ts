import type { DetectedFace } from "./face.js";
import type { Point } from "./image.js";

/** YuNet's 12 outputs, by name: cls_/obj_/bbox_/kps_ for strides 8, 16, 32. */
export type YunetOutputs = Record<string, Float32Array>;

export const YUNET_STRIDES = [8, 16, 32] as const;

const clamp01 = (v: number) => Math.min(1, Math.max(0, v));

/**
 * Decodes YuNet's raw outputs for an input of `width` x `height` (multiples of 32) into faces in network
 * pixels, keeping those with score >= threshold. Follows OpenCV's FaceDetectorYN: score = sqrt(cls * obj),
 * box centre (c + dx, r + dy) * stride, size exp(dw, dh) * stride, landmarks (c + kx, r + ky) * stride.
 */
export function decodeYunet(outputs: YunetOutputs, width: number, height: number, threshold: number): DetectedFace[] {
  const faces: DetectedFace[] = [];
  for (const stride of YUNET_STRIDES) {
    const cols = Math.floor(width / stride);
    const rows = Math.floor(height / stride);
    const cls = outputs[`cls_${stride}`];
    const obj = outputs[`obj_${stride}`];
    const bbox = outputs[`bbox_${stride}`];
    const kps = outputs[`kps_${stride}`];
    if (!cls || !obj || !bbox || !kps) throw new Error(`YuNet output for stride ${stride} is missing`);
    if (cls.length !== rows * cols) throw new Error(`YuNet cls_${stride} has ${cls.length} anchors, expected ${rows * cols}`);
    for (let index = 0; index < rows * cols; index++) {
      const score = Math.sqrt(clamp01(cls[index] as number) * clamp01(obj[index] as number));
      if (score < threshold) continue;
      const r = Math.floor(index / cols);
      const c = index % cols;
      const b = index * 4;
      const cx = (c + (bbox[b] as number)) * stride;
      const cy = (r + (bbox[b + 1] as number)) * stride;
      const w = Math.exp(bbox[b + 2] as number) * stride;
      const h = Math.exp(bbox[b + 3] as number) * stride;
      const k = index * 10;
      const landmarks: Point[] = [];
      for (let n = 0; n < 5; n++) {
        landmarks.push({ x: (c + (kps[k + 2 * n] as number)) * stride, y: (r + (kps[k + 2 * n + 1] as number)) * stride });
      }
      faces.push({
        box: { x: cx - w / 2, y: cy - h / 2, width: w, height: h },
        score,
        landmarks: landmarks as DetectedFace["landmarks"],
      });
    }
  }
  return faces;
}

/** Maps a face from network pixels back to the original image (divide by the resize factor). */
export function rescaleFace(face: DetectedFace, scale: number): DetectedFace {
  const s = 1 / scale;
  return {
    score: face.score,
    box: { x: face.box.x * s, y: face.box.y * s, width: face.box.width * s, height: face.box.height * s },
    landmarks: face.landmarks.map((p) => ({ x: p.x * s, y: p.y * s })) as DetectedFace["landmarks"],
  };
}
