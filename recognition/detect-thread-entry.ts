/**
 * The detect thread's side (started by detect-thread.ts): loads the detect stage with the settings it was given,
 * then answers each { id, bytes } with the decoded picture (its pixels transferred, not copied) and its faces,
 * or with the error's name and message.
 */

import { performance } from "node:perf_hooks";
import { parentPort, workerData } from "node:worker_threads";
import { loadManifest } from "../models/manifest.js";
import { modelDirs } from "../models/model-dirs.js";
import { decodeImage } from "./decode.js";
import { DetectStage } from "./detect-stage.js";
import type { DetectRequest, DetectThreadReply } from "./detect-thread-messages.js";
import { recognitionSettingsSchema } from "./recognition-settings.js";

const port = parentPort;
if (!port) throw new Error("detect-thread-entry.js runs as a worker thread (recognition/detect-thread.ts)");

const settings = recognitionSettingsSchema.parse(workerData);
const post = (reply: DetectThreadReply, transfer: ArrayBuffer[] = []) => port.postMessage(reply, transfer);

try {
  const dirs = modelDirs(settings.modelDirs);
  const stage = await DetectStage.load(settings, loadManifest(), {
    dirs,
    executionProvider: settings.executionProvider,
    threads: settings.threads,
  });
  port.on("message", async ({ id, bytes, source }: DetectRequest) => {
    try {
      const t0 = performance.now();
      const image = await decodeImage(bytes);
      const t1 = performance.now();
      const { faces, rejected } = await stage.detect(image, source);
      const timings = { decode: t1 - t0, detect: performance.now() - t1 };
      post({ kind: "detected", id, image, faces, rejected, timings }, [image.data.buffer as ArrayBuffer]);
    } catch (error) {
      const { name, message } = error instanceof Error ? error : { name: "Error", message: String(error) };
      post({ kind: "failed", id, name, message });
    }
  });
  post({ kind: "ready", model: stage.detector.loaded.model.id, provider: stage.detector.loaded.provider });
} catch (error) {
  post({ kind: "not-loaded", message: error instanceof Error ? error.message : String(error) });
}
