import * as ort from "onnxruntime-node";
import { FacefleetError } from "../core/errors.js";
import { type ExecutionProviderChoice, providerCandidates } from "./execution-provider.js";
import type { ModelEntry } from "./manifest-schema.js";
import { locateVerifiedModel } from "./verify-file.js";

// onnxruntime 1.30's telemetry (the 1DS SDK) matches the whole /proc/self/cmdline against a std::regex when the first
// session is created; libstdc++'s regex recurses once per character, so a command line over ~29 KB overflows the
// 8 MB main stack and the process dies of SIGSEGV with no output (docs/onnxruntime-argv-crash.md). It also reads
// /etc/machine-id and queues events in ~/.cache/Microsoft/DeveloperTools/.onnxruntime for upload. Turned off here,
// before any session exists, for every command and process that loads a model; a value the user set is kept.
process.env.ORT_DISABLE_TELEMETRY ||= "1";

// onnxruntime's own logger prints a provider that fails to load (no CUDA library on this device) as an error
// on stderr; facefleet reports it in `skipped` instead, and every real failure is thrown.
ort.env.logLevel = "fatal";

export type SessionOptions = {
  dirs: readonly string[];
  executionProvider: ExecutionProviderChoice;
  /** Threads inside one operator (0 = onnxruntime's default: one per core). */
  threads: number;
};

/** A loaded model: its verified file, the onnxruntime session, and the provider it runs on (reported in health). */
export type ModelSession<M extends ModelEntry & { id: string } = ModelEntry & { id: string }> = {
  readonly model: M;
  readonly path: string;
  readonly provider: string;
  /** Providers tried before `provider` and why each failed (a Jetson without TensorRT, a missing CUDA library). */
  readonly skipped: string[];
  readonly session: ort.InferenceSession;
};

export async function openModelSession<M extends ModelEntry & { id: string }>(model: M, options: SessionOptions): Promise<ModelSession<M>> {
  const path = await locateVerifiedModel(model, options.dirs);
  const failures: string[] = [];
  for (const provider of providerCandidates(options.executionProvider)) {
    try {
      const session = await ort.InferenceSession.create(path, {
        executionProviders: [provider],
        intraOpNumThreads: options.threads,
        interOpNumThreads: 1,
        graphOptimizationLevel: "all",
      });
      return { model, path, provider, skipped: failures, session };
    } catch (error) {
      failures.push(`${provider}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
  }
  throw new FacefleetError(`cannot load ${model.file}: ${failures.join("; ")}`);
}
