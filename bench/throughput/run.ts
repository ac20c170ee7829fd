/**
 * Throughput and memory of the recognition core: every precision x thread count on the shared images and on
 * the frames of short_hamilton_clip.mp4 (10 fps), each in its own process; peak RSS of `facefleet identify`
 * over 100 pictures with int8; and the face_recognition baseline's figures from the same run when its
 * virtualenv exists (bench/baseline/setup.sh). Writes bench/results/throughput.json and throughput.md.
 *
 *   npm run bench:throughput
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { delimiter, join } from "node:path";
import { writeFileAtomic } from "../../recognition/atomic-write.js";
import { machineDescription } from "../support/machine.js";
import { lfwProbes, sharedDir } from "../support/shared-data.js";

type Measurement = {
  precision: string;
  threads: number;
  concurrency: number;
  set: string;
  pictures: number;
  faces: number;
  picturesPerSecond: number;
  embedMsPerFace: number;
  stages: Record<string, { medianMs: number; meanMs: number }>;
  peakRssMiB: number;
};

const env = {
  ...process.env,
  FACEFLEET_MODELS: process.env.FACEFLEET_MODELS ?? [".facefleet/models", join(sharedDir, "models")].join(delimiter),
};

function measure(precision: string, threads: number, set: string, concurrency = 1): Measurement {
  process.stderr.write(`measuring ${precision}, ${threads} thread(s), ${concurrency} in flight, ${set}\n`);
  const args = ["--precision", precision, "--threads", String(threads), "--set", set, "--concurrency", String(concurrency)];
  const out = execFileSync(process.execPath, ["dist/bench/throughput/measure.js", ...args], { env });
  return JSON.parse(out.toString());
}

/** Peak RSS of a whole command, read with getrusage(RUSAGE_CHILDREN) by a tiny Python wrapper. */
function peakRssOfCommand(command: string[]): { peakRssMiB: number; seconds: number } {
  const wrapper =
    "import resource,subprocess,sys,time\nt=time.time()\nsubprocess.run(sys.argv[1:],check=True,stdout=subprocess.DEVNULL)\nprint(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.time()-t)";
  const [kib, seconds] = execFileSync("python3", ["-c", wrapper, ...command], { env })
    .toString()
    .trim()
    .split(" ");
  return { peakRssMiB: Math.round(Number(kib) / 1024), seconds: Number(Number(seconds).toFixed(1)) };
}

function baselineSpeed(): Record<string, unknown> | null {
  const python = "bench/.venv/bin/python";
  if (!existsSync(python)) {
    process.stderr.write("baseline: bench/.venv missing (bash bench/baseline/setup.sh); using no baseline\n");
    return null;
  }
  process.stderr.write("baseline: face_recognition speed on the same pictures\n");
  execFileSync(python, ["bench/baseline/face_recognition_eval.py", "speed", "--out", "bench/results/baseline-speed.json"], {
    stdio: ["ignore", "ignore", "inherit"],
  });
  return JSON.parse(readFileSync("bench/results/baseline-speed.json", "utf8"));
}

type ThroughputResult = {
  generatedAt: string;
  command: string;
  machine: ReturnType<typeof machineDescription>;
  measurements: Measurement[];
  identify100: Record<"int8" | "fp32", { peakRssMiB: number; seconds: number }>;
  baseline: Record<string, unknown> | null;
};

/** Measures everything and saves throughput.json; `--report-only` rewrites throughput.md from the saved file. */
async function measureAll(): Promise<ThroughputResult> {
  const measurements: Measurement[] = [];
  for (const set of ["images", "video"]) {
    for (const precision of ["fp32", "int8"]) for (const threads of [1, 2]) measurements.push(measure(precision, threads, set));
    // Two pictures in flight with one thread each: how a worker serving several cameras uses both cores.
    measurements.push(measure("int8", 1, set, 2));
  }

  const hundred = lfwProbes()
    .slice(0, 100)
    .map((p) => p.path);
  const gallery = "bench/.cache/throughput-gallery.json";
  execFileSync(
    process.execPath,
    [
      "bin/facefleet.js",
      "enroll",
      join(sharedDir, "data", "face_recognition_examples", "examples", "knn_examples", "train"),
      "--gallery",
      gallery,
      "--precision",
      "int8",
    ],
    { env, stdio: "ignore" },
  );
  const identifyHundred = (precision: string) =>
    peakRssOfCommand([
      process.execPath,
      "bin/facefleet.js",
      "identify",
      ...hundred,
      "--gallery",
      gallery,
      "--json",
      "--precision",
      precision,
    ]);
  const identify100 = { int8: identifyHundred("int8"), fp32: identifyHundred("fp32") };
  const baseline = baselineSpeed();

  const result: ThroughputResult = {
    generatedAt: new Date().toISOString(),
    command: "npm run bench:throughput",
    machine: machineDescription(),
    measurements,
    identify100,
    baseline,
  };
  await writeFileAtomic("bench/results/throughput.json", `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

const result: ThroughputResult = process.argv.includes("--report-only")
  ? JSON.parse(readFileSync("bench/results/throughput.json", "utf8"))
  : await measureAll();
const { measurements, identify100, baseline } = result;

const lines = [
  "# Recognition throughput and memory",
  "",
  `Generated ${result.generatedAt} by \`${result.command}\` on ${result.machine.cpu} (${result.machine.cores} cores, ${result.machine.memoryGiB} GiB), ${result.machine.os}, Node ${result.machine.node}, onnxruntime-node ${result.machine.onnxruntime}, sharp ${result.machine.sharp}.`,
  "Each row is its own process; pictures per second include decode, detect, align, embed and match (100-person gallery). Median ms per picture per stage. int8 rows run the int8 recognizer; on x86 the detector stays fp32 (its int8 file is slower there, models/execution-provider.ts). `in flight` = pictures processed at once.",
  "",
  "| set | precision | threads | in flight | pictures | faces | pictures/s | decode | detect | align | embed | match | embed ms/face | peak RSS MiB |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ...measurements.map(
    (m) =>
      `| ${m.set} | ${m.precision} | ${m.threads} | ${m.concurrency} | ${m.pictures} | ${m.faces} | ${m.picturesPerSecond} | ${m.stages.decode?.medianMs} | ${m.stages.detect?.medianMs} | ${m.stages.align?.medianMs} | ${m.stages.embed?.medianMs} | ${m.stages.match?.medianMs} | ${m.embedMsPerFace} | ${m.peakRssMiB} |`,
  ),
  "",
  `\`facefleet identify\` over 100 LFW pictures: int8 peak RSS ${identify100.int8.peakRssMiB} MiB (${identify100.int8.seconds} s), fp32 ${identify100.fp32.peakRssMiB} MiB (${identify100.fp32.seconds} s), whole process including model loading.`,
  "",
];
const int8vsfp32 = (set: string, threads: number) => {
  const f = measurements.find((m) => m.set === set && m.precision === "fp32" && m.threads === threads && m.concurrency === 1);
  const i = measurements.find((m) => m.set === set && m.precision === "int8" && m.threads === threads && m.concurrency === 1);
  return f && i ? (f.embedMsPerFace / i.embedMsPerFace).toFixed(2) : "n/a";
};
lines.push(
  `int8 embed speed-up over fp32 (ms per face, same run): images ${int8vsfp32("images", 1)}x at 1 thread, ${int8vsfp32("images", 2)}x at 2 threads; video ${int8vsfp32("video", 1)}x / ${int8vsfp32("video", 2)}x.`,
  "",
);
if (baseline) {
  const b = baseline as { examples_images?: { images_per_s?: number }; video?: { images_per_s?: number } } & Record<string, unknown>;
  const ratio = (set: "images" | "video", fps: number | undefined) => {
    const best = Math.max(...measurements.filter((m) => m.set === set).map((m) => m.picturesPerSecond));
    return fps ? `${(best / fps).toFixed(1)}x (facefleet best ${best} vs face_recognition ${fps.toFixed(2)} pictures/s)` : "n/a";
  };
  lines.push("## Against face_recognition 1.3.0 (dlib HOG + ResNet), same machine, same run", "");
  lines.push(`- images: ${ratio("images", b.examples_images?.images_per_s)}`);
  lines.push(`- video frames: ${ratio("video", b.video?.images_per_s)}`);
  const ourVideo = measurements.filter((m) => m.set === "video").sort((x, y) => y.picturesPerSecond - x.picturesPerSecond)[0];
  const baseVideo = (baseline as { video?: { faces_detected?: number; images?: number; images_per_s?: number } }).video;
  if (ourVideo && baseVideo?.faces_detected && baseVideo.images && baseVideo.images_per_s) {
    const ours = (ourVideo.faces / ourVideo.pictures) * ourVideo.picturesPerSecond;
    const theirs = (baseVideo.faces_detected / baseVideo.images) * baseVideo.images_per_s;
    lines.push(
      `- on the video, facefleet finds ${ourVideo.faces} faces in ${ourVideo.pictures} frames where dlib's HOG finds ${baseVideo.faces_detected} in ${baseVideo.images} (turned and small faces), and embeds and matches every one: faces named per second ${ours.toFixed(1)} vs ${theirs.toFixed(1)}, ${(ours / theirs).toFixed(1)}x.`,
    );
  }
  lines.push("", "Baseline details: bench/results/baseline-speed.json.", "");
}
await writeFileAtomic("bench/results/throughput.md", `${lines.join("\n")}\n`);
process.stdout.write(`${lines.join("\n")}\n`);
