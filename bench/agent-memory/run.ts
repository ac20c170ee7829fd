/**
 * The agent's memory: what its recognition costs in resident memory, process by process. Each variant is its own
 * process (bench/agent-memory/clip-loop.ts) that loads the pipeline as the agent does and loops the demo's clip
 * through the worker's FrameProcessor (no Kafka, no MQTT: those add what bench/results/pipeline.md's peak RSS
 * per agent shows beyond this); variants: precision (auto = int8 on a CPU, and fp32), frames in flight 1 and 2,
 * and glibc's MALLOC_ARENA_MAX unset or 2 (what deploy/package/facefleet-agent.service and the balena image set).
 * Each variant runs `--trials` times; the table gives the median VmHWM (peak RSS) after loading and at the end.
 *
 *   npm run bench:agent-memory [-- --loops 4 --trials 3]
 *
 * Writes bench/results/agent-memory.json and .md.
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { machineDescription } from "../support/machine.js";

const { values } = parseArgs({ options: { loops: { type: "string", default: "4" }, trials: { type: "string", default: "3" } } });
const loops = Number(values.loops);
const trials = Number(values.trials);
if (!Number.isInteger(loops) || loops < 1) throw new Error("--loops must be a whole number ≥ 1");
if (!Number.isInteger(trials) || trials < 1) throw new Error("--trials must be a whole number ≥ 1");

type Variant = { precision: "auto" | "fp32"; framesInFlight: 1 | 2; arenas: "unset" | "2" };
type Sample = { recognizer: string; frames: number; loaded: { hwmKiB: number }; end: { hwmKiB: number; rssKiB: number } };
const variants: Variant[] = [];
for (const precision of ["auto", "fp32"] as const)
  for (const framesInFlight of [1, 2] as const)
    for (const arenas of ["unset", "2"] as const) variants.push({ precision, framesInFlight, arenas });

const child = fileURLToPath(new URL("./clip-loop.js", import.meta.url));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const mib = (kib: number) => Math.round(kib / 1024);
const rows: { variant: Variant; recognizer: string; frames: number; loadedMiB: number; peakMiB: number; peaksMiB: number[] }[] = [];
const started = Date.now();
// Trials interleaved across variants, so a change in the machine's state touches every variant alike.
const samples = new Map<Variant, Sample[]>(variants.map((v) => [v, []]));
for (let trial = 1; trial <= trials; trial++) {
  for (const variant of variants) {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      FACEFLEET_BENCH_SETTINGS: JSON.stringify({ threads: 1, precision: variant.precision }),
    };
    if (variant.arenas === "2") env.MALLOC_ARENA_MAX = "2";
    else delete env.MALLOC_ARENA_MAX;
    const run = spawnSync(process.execPath, [child, String(loops), String(variant.framesInFlight)], { env, encoding: "utf8" });
    if (run.status !== 0)
      throw new Error(`clip-loop ${JSON.stringify(variant)} exited ${run.status}: ${run.stderr.trim().split("\n").pop()}`);
    const sample = JSON.parse(run.stdout.trim().split("\n").pop() ?? "{}") as Sample;
    samples.get(variant)?.push(sample);
    process.stderr.write(`trial ${trial}/${trials} ${JSON.stringify(variant)}: peak ${mib(sample.end.hwmKiB)} MiB\n`);
  }
}
for (const variant of variants) {
  const list = samples.get(variant) ?? [];
  rows.push({
    variant,
    recognizer: list[0]?.recognizer ?? "?",
    frames: list[0]?.frames ?? 0,
    loadedMiB: mib(median(list.map((s) => s.loaded.hwmKiB))),
    peakMiB: mib(median(list.map((s) => s.end.hwmKiB))),
    peaksMiB: list.map((s) => mib(s.end.hwmKiB)),
  });
}

const machine = machineDescription();
const command = `npm run bench:agent-memory -- --loops ${loops} --trials ${trials}`;
const lines = [
  "# The agent's memory: recognition in one process",
  "",
  `\`${command}\` — ${new Date().toISOString()}, ${machine.cpu} × ${machine.cores} cores, ${machine.os}, Node ${machine.node}, onnxruntime-node ${machine.onnxruntime}, sharp ${machine.sharp}; ${Math.round((Date.now() - started) / 1000)} s.`,
  "",
  `Each row is its own process (bench/agent-memory/clip-loop.ts): the recognition pipeline loaded as the agent loads it (1 onnxruntime thread), the demo's gallery, then the demo's clip (${rows[0]?.frames ?? 0} frames: ${loops} loops) through the worker's FrameProcessor with recognise once per track, as \`facefleet agent\` does, without Kafka and MQTT (a whole agent's peak is in bench/results/pipeline.md). Peak = VmHWM, median of ${trials} trials (all trials in the last column); MiB. MALLOC_ARENA_MAX=2 is what deploy/package/facefleet-agent.service and balena/Dockerfile.template set: glibc otherwise gives each thread that allocates (onnxruntime's, libvips', Node's) a malloc arena of its own.`,
  "",
  "| precision | recognizer | frames in flight | MALLOC_ARENA_MAX | after loading MiB | peak MiB | peak in each trial |",
  "|---|---|---|---|---|---|---|",
  ...rows.map(
    (r) =>
      `| ${r.variant.precision} | ${r.recognizer} | ${r.variant.framesInFlight} | ${r.variant.arenas} | ${r.loadedMiB} | ${r.peakMiB} | ${r.peaksMiB.join(", ")} |`,
  ),
  "",
];
const find = (v: Partial<Variant>) => rows.find((r) => Object.entries(v).every(([k, x]) => r.variant[k as keyof Variant] === x));
const pairs: string[] = [];
for (const framesInFlight of [1, 2] as const) {
  const base = find({ precision: "fp32", framesInFlight, arenas: "unset" });
  const best = find({ precision: "auto", framesInFlight, arenas: "2" });
  const arenasOnly = find({ precision: "auto", framesInFlight, arenas: "unset" });
  if (base && best && arenasOnly)
    pairs.push(
      `- ${framesInFlight} in flight: fp32 (the x86 default before) ${base.peakMiB} MiB → int8 (auto) ${arenasOnly.peakMiB} MiB → int8 with MALLOC_ARENA_MAX=2 ${best.peakMiB} MiB (${(best.peakMiB / base.peakMiB).toFixed(2)}× the fp32 peak).`,
    );
}
lines.push(...pairs, "");
await writeFileAtomic("bench/results/agent-memory.json", `${JSON.stringify({ command, machine, loops, trials, rows }, null, 2)}\n`);
await writeFileAtomic("bench/results/agent-memory.md", `${lines.join("\n")}\n`);
process.stderr.write(`${lines.join("\n")}\n`);
