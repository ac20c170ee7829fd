/**
 * Where the peak RSS of `facefleet identify` goes, per recognizer, each figure from a process of its own:
 *  - the pipeline as identify loads it (YuNet + the recognizer, CPU, one thread per core): RSS before any model,
 *    after loading, and after analysing the first 100 LFW dev probes, with the high-water mark (VmHWM) at each;
 *  - the recognizer's onnxruntime session alone, with the session options of models/model-session.ts and with the
 *    CPU memory arena and/or the memory pattern turned off: RSS and VmHWM after loading and after 30 runs of
 *    one face, and ms per face (a rough figure on a shared machine; bench/results/sface-speed.md is the steady one).
 * Writes bench/results/identify-memory.json and identify-memory.md.
 *
 *   npm run build && node dist/bench/throughput/memory.js [--recognizer ID,...]
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import * as ort from "onnxruntime-node";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { getRecognizer } from "../../models/manifest.js";
import { modelDirs } from "../../models/model-dirs.js";
import { findModelFile } from "../../models/verify-file.js";
import { RecognitionPipeline } from "../../recognition/pipeline.js";
import { machineDescription } from "../support/machine.js";
import { lfwProbes, useBenchModels } from "../support/shared-data.js";

useBenchModels();
process.env.ORT_DISABLE_TELEMETRY ||= "1";
// The official SFace file lists its initializers as graph inputs: onnxruntime warns once per initializer.
ort.env.logLevel = "fatal";
const { values } = parseArgs({
  options: {
    recognizer: {
      type: "string",
      default: "sface-2021dec,sface-2021dec-opt,sface-2021dec-opt-int8,face-api-resnet-v1,face-api-resnet-v1-int8",
    },
    child: { type: "string" },
    options: { type: "string", default: "{}" },
  },
});

type Memory = { rssMiB: number; hwmMiB: number };
/** RSS and VmHWM of this process, from /proc/self/status. */
function memory(): Memory {
  const status = readFileSync("/proc/self/status", "utf8");
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? Number.NaN);
  return { rssMiB: Math.round(kib("VmRSS") / 1024), hwmMiB: Math.round(kib("VmHWM") / 1024) };
}

const SESSION_VARIANTS: { name: string; options: ort.InferenceSession.SessionOptions }[] = [
  { name: "as models/model-session.ts", options: {} },
  { name: "enableCpuMemArena: false", options: { enableCpuMemArena: false } },
  { name: "enableMemPattern: false", options: { enableMemPattern: false } },
  { name: "both false", options: { enableCpuMemArena: false, enableMemPattern: false } },
];

async function sessionChild(recognizer: string, overrides: ort.InferenceSession.SessionOptions) {
  const model = getRecognizer(recognizer);
  const path = findModelFile(model, modelDirs());
  if (!path) throw new Error(`${model.file} not found`);
  const start = memory();
  const session = await ort.InferenceSession.create(path, {
    executionProviders: ["cpu"],
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    graphOptimizationLevel: "all",
    ...overrides,
  });
  const loaded = memory();
  const size = model.alignment.size;
  let faces = 0;
  const t0 = performance.now();
  for (let i = 0; i < 30; i++) {
    // One face a run: the official SFace file has a fixed batch of 1.
    const n = 1;
    const data = Float32Array.from({ length: n * 3 * size * size }, (_, j) => (j * 7919 + i) % 256);
    await session.run({ [session.inputNames[0] as string]: new ort.Tensor("float32", data, [n, 3, size, size]) });
    faces += n;
  }
  const msPerFace = (performance.now() - t0) / faces;
  return { start, loaded, afterRuns: memory(), msPerFace: Number(msPerFace.toFixed(2)) };
}

async function pipelineChild(recognizer: string) {
  const start = memory();
  const model = getRecognizer(recognizer);
  const pipeline = await RecognitionPipeline.load({
    recognizer,
    precision: model.precision === "int8" ? "int8" : "fp32",
    executionProvider: "cpu",
  });
  const loaded = memory();
  const probes = lfwProbes().slice(0, 100);
  const after: Record<string, Memory> = {};
  for (const [i, probe] of probes.entries()) {
    await pipeline.analyse(probe.path);
    if (i + 1 === 10 || i + 1 === probes.length) after[String(i + 1)] = memory();
  }
  return { start, loaded, after10: after["10"], after100: after["100"] };
}

if (values.child) {
  const [kind, recognizer] = values.child.split(":") as [string, string];
  const out = kind === "pipeline" ? await pipelineChild(recognizer) : await sessionChild(recognizer, JSON.parse(values.options as string));
  process.stdout.write(`${JSON.stringify(out)}\n`);
} else {
  const recognizers = (values.recognizer as string).split(",");
  const child = (args: string[]) => {
    const out = execFileSync(process.execPath, [process.argv[1] as string, ...args], { stdio: ["ignore", "pipe", "inherit"] });
    return JSON.parse(out.toString());
  };
  const loadBefore = loadavg()[0] as number;
  const rows = recognizers.map((recognizer) => {
    process.stderr.write(`${recognizer}: pipeline and 100 pictures, then the session alone\n`);
    return {
      recognizer,
      file: getRecognizer(recognizer).file,
      pipeline: child(["--child", `pipeline:${recognizer}`]),
      sessions: SESSION_VARIANTS.map((v) => ({
        variant: v.name,
        ...child(["--child", `session:${recognizer}`, "--options", JSON.stringify(v.options)]),
      })),
    };
  });
  const result = {
    generatedAt: new Date().toISOString(),
    command: `npm run build && node dist/bench/throughput/memory.js --recognizer ${recognizers.join(",")}`,
    machine: {
      ...machineDescription(),
      loadavgBefore: Number(loadBefore.toFixed(2)),
      loadavgAfter: Number((loadavg()[0] as number).toFixed(2)),
    },
    rows,
  };
  await writeFileAtomic("bench/results/identify-memory.json", `${JSON.stringify(result, null, 2)}\n`);
  const m = result.machine;
  const lines = [
    "# Where the memory of `facefleet identify` goes",
    "",
    `Generated ${result.generatedAt} by \`${result.command}\` on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), ${m.os}, Node ${m.node}, onnxruntime-node ${m.onnxruntime}. The machine was shared with other engineers' work (1-minute load average ${m.loadavgBefore} before, ${m.loadavgAfter} after): the ms per face are rough; memory does not depend on load, but varies by a few MiB between runs (threads' malloc arenas).`,
    "",
    "Each cell: RSS / high-water mark (VmHWM), MiB, each row its own process. The peak RSS of a whole `facefleet identify` is in bench/results/throughput.md.",
    "",
    "## The pipeline as `identify` loads it (YuNet + recognizer, one thread per core), over the first 100 LFW dev probes",
    "",
    "| recognizer | before any model | after loading | after 10 pictures | after 100 pictures |",
    "|---|---|---|---|---|",
    ...rows.map((r) => {
      const cell = (x: Memory | undefined) => (x ? `${x.rssMiB} / ${x.hwmMiB}` : "n/a");
      return `| ${r.recognizer} | ${cell(r.pipeline.start)} | ${cell(r.pipeline.loaded)} | ${cell(r.pipeline.after10)} | ${cell(r.pipeline.after100)} |`;
    }),
    "",
    ...rows.map((r) => {
      const p = r.pipeline as { start: Memory; loaded: Memory; after100?: Memory };
      return `- ${r.recognizer}: ${p.start.rssMiB} MiB before any model (Node, sharp, onnxruntime), loading both models adds ${p.loaded.rssMiB - p.start.rssMiB} MiB (peak ${p.loaded.hwmMiB} MiB during loading), 100 pictures add ${(p.after100?.hwmMiB ?? Number.NaN) - p.loaded.rssMiB} MiB more to the high-water mark (${p.after100?.hwmMiB} MiB = ${Math.round(((p.after100?.hwmMiB ?? Number.NaN) * 2 ** 20) / 1e6)} MB).`;
    }),
    "",
    "## The recognizer's session alone (1 thread), 30 runs of one face",
    "",
    "| recognizer | file | session options | before | after loading | after the runs | loading adds (RSS / peak) | ms per face |",
    "|---|---|---|---|---|---|---|---|",
    ...rows.flatMap((r) =>
      r.sessions.map(
        (s: { variant: string; start: Memory; loaded: Memory; afterRuns: Memory; msPerFace: number }) =>
          `| ${r.recognizer} | ${r.file} | ${s.variant} | ${s.start.rssMiB} / ${s.start.hwmMiB} | ${s.loaded.rssMiB} / ${s.loaded.hwmMiB} | ${s.afterRuns.rssMiB} / ${s.afterRuns.hwmMiB} | ${s.loaded.rssMiB - s.start.rssMiB} / ${s.loaded.hwmMiB - s.start.rssMiB} | ${s.msPerFace} |`,
      ),
    ),
    "",
  ];
  await writeFileAtomic("bench/results/identify-memory.md", `${lines.join("\n")}\n`);
  process.stdout.write(`${lines.join("\n")}\n`);
}
