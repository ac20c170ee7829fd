import { readFileSync } from "node:fs";
import { join } from "node:path";

/** Human's MobileFaceNet as the TF.js graph model it ships as, run by TF.js's pure-JS cpu backend. */
export type TfjsMobileFaceNet = {
  /** Embeddings [192] of 112x112 RGB chips (interleaved uint8), fed as the graph expects: (x - 127.5) / 128, NHWC. */
  embed(chips: readonly Uint8Array[]): Promise<Float32Array[]>;
};

type GraphJson = {
  format: string;
  generatedBy: string;
  convertedBy: string;
  userDefinedMetadata: unknown;
  modelTopology: unknown;
  weightsManifest: { weights: unknown[] }[];
};

/**
 * Loads mobilefacenet.json + .bin from dir with the tfjs 4.22 bundled in @vladmandic/face-api (no tfjs-node).
 * As in test/models/face-api-export.test.ts, a worker scope is announced during the import so that tfjs picks its
 * browser platform (the bundle stubs Node's util).
 */
export async function loadTfjsMobileFaceNet(dir: string): Promise<TfjsMobileFaceNet> {
  const g = globalThis as { WorkerGlobalScope?: unknown };
  const had = "WorkerGlobalScope" in g;
  if (!had) g.WorkerGlobalScope = class {};
  const faceapi = await import("@vladmandic/face-api/dist/face-api.esm.js");
  if (!had) delete g.WorkerGlobalScope;
  // face-api's bundled typings of `tf` omit the engine and converter functions; they are there at runtime.
  const tf = faceapi.tf as unknown as {
    setBackend(name: string): Promise<boolean>;
    ready(): Promise<void>;
    loadGraphModel(handler: {
      load(): Promise<unknown>;
    }): Promise<{ execute(x: unknown): { data(): Promise<Float32Array>; dispose(): void } }>;
    tensor4d(values: Float32Array, shape: [number, number, number, number]): { dispose(): void };
  };
  if (!(await tf.setBackend("cpu"))) throw new Error("TF.js cpu backend did not initialise");
  await tf.ready();
  const graph = JSON.parse(readFileSync(join(dir, "mobilefacenet.json"), "utf8")) as GraphJson;
  const bin = readFileSync(join(dir, "mobilefacenet.bin"));
  const model = await tf.loadGraphModel({
    load: async () => ({
      modelTopology: graph.modelTopology,
      weightSpecs: graph.weightsManifest.flatMap((w) => w.weights),
      weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      format: graph.format,
      generatedBy: graph.generatedBy,
      convertedBy: graph.convertedBy,
      userDefinedMetadata: graph.userDefinedMetadata,
    }),
  });
  return {
    async embed(chips) {
      const out: Float32Array[] = [];
      for (const chip of chips) {
        const input = tf.tensor4d(
          Float32Array.from(chip, (v) => (v - 127.5) * 0.0078125),
          [1, 112, 112, 3],
        );
        const result = model.execute(input);
        out.push(Float32Array.from(await result.data()));
        input.dispose();
        result.dispose();
      }
      return out;
    },
  };
}
