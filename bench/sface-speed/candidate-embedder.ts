import { stat } from "node:fs/promises";
import { basename, dirname } from "node:path";
import { getRecognizer } from "../../models/manifest.js";
import { openModelSession, type SessionOptions } from "../../models/model-session.js";
import { sha256File } from "../../models/verify-file.js";
import { createFaceRecognizer, type FaceRecognizer } from "../../recognition/face-recognizer.js";

/**
 * An ONNX file that is not in the manifest (an int8 recipe being tried), loaded as a recognizer shaped like
 * sface-2021dec-opt-int8: same alignment, input and session options, its own file, sha256 and size. Its id is
 * "candidate FILE".
 */
export async function candidateEmbedder(path: string, options: Omit<SessionOptions, "dirs">): Promise<FaceRecognizer> {
  const like = getRecognizer("sface-2021dec-opt-int8");
  const model = {
    ...like,
    id: `candidate ${basename(path)}`,
    file: basename(path),
    sha256: await sha256File(path),
    bytes: (await stat(path)).size,
  };
  return createFaceRecognizer(await openModelSession(model, { ...options, dirs: [dirname(path)] }));
}
