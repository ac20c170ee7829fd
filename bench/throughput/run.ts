/**
 * Throughput and memory of the recognition core, per recognizer and precision (the SFace rewrite, the default, and
 * the dlib ResNet for comparison, each fp32 and int8; `--recognizer ID,...`): every thread count on the shared
 * images and on the frames of short_hamilton_clip.mp4 (10 fps), each picture on its own and, `video-camera`, the
 * frames as one camera's stream through the agent's FrameProcessor (tracks), each in its own process; peak RSS of
 * `facefleet identify` over 100 pictures per recognizer; and the face_recognition baseline's figures from the same
 * run when its virtualenv exists (bench/baseline/setup.sh). Writes bench/results/throughput.json and throughput.md;
 * the accuracy quoted beside the speed comes from bench/results/accuracy.json and the baseline's JSON files.
 *
 *   npm run bench:throughput [-- --recognizer sface-2021dec-opt,sface-2021dec-opt-int8]
 *   node dist/bench/throughput/run.js --report-only     (rewrites throughput.md from throughput.json)
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { delimiter, join } from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { getRecognizer } from "../../models/manifest.js";
import { machineDescription } from "../support/machine.js";
import { lfwProbes, sharedDir } from "../support/shared-data.js";

const DEFAULT_RECOGNIZERS = "sface-2021dec-opt,sface-2021dec-opt-int8,face-api-resnet-v1,face-api-resnet-v1-int8";
const { values } = parseArgs({
  options: {
    recognizer: { type: "string", default: DEFAULT_RECOGNIZERS },
    /** Also measure each recognizer with this many intra-op threads (one picture in flight). */
    threads: { type: "string" },
    "report-only": { type: "boolean", default: false },
  },
});

type Measurement = {
  recognizer: string;
  precision: string;
  threads: number;
  concurrency: number;
  set: string;
  pictures: number;
  faces: number;
  /** Faces embedded (every recognisable one, except on `video-camera`, where a named track's are not). */
  embedded?: number;
  picturesPerSecond: number;
  embedMsPerFace: number;
  stages: Record<string, { medianMs: number; meanMs: number }>;
  peakRssMiB: number;
  models: string[];
};

type IdentifyRun = { recognizer: string; precision: string; peakRssMiB: number; seconds: number };

const env = {
  ...process.env,
  FACEFLEET_MODELS: process.env.FACEFLEET_MODELS ?? [".facefleet/models", join(sharedDir, "models")].join(delimiter),
};

const extraThreads = values.threads ? [Number(values.threads)] : [];
const precisionOf = (recognizer: string) => (getRecognizer(recognizer).precision === "int8" ? "int8" : "fp32");

function measure(recognizer: string, threads: number, set: string, concurrency = 1): Measurement {
  const precision = precisionOf(recognizer);
  process.stderr.write(`measuring ${recognizer} (${precision}), ${threads} thread(s), ${concurrency} in flight, ${set}\n`);
  const args = ["--recognizer", recognizer, "--precision", precision, "--threads", String(threads), "--set", set];
  const out = execFileSync(process.execPath, ["dist/bench/throughput/measure.js", ...args, "--concurrency", String(concurrency)], { env });
  return JSON.parse(out.toString());
}

/**
 * Peak RSS of a whole command: getrusage(RUSAGE_CHILDREN).ru_maxrss read by a tiny Python wrapper, which on Linux is
 * the child's high-water mark, the VmHWM of /proc/PID/status at its exit.
 */
function peakRssOfCommand(command: string[]): { peakRssMiB: number; seconds: number } {
  const wrapper =
    "import resource,subprocess,sys,time\nt=time.time()\nsubprocess.run(sys.argv[1:],check=True,stdout=subprocess.DEVNULL)\nprint(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.time()-t)";
  const [kib, seconds] = execFileSync("python3", ["-c", wrapper, ...command], { env })
    .toString()
    .trim()
    .split(" ");
  return { peakRssMiB: Math.round(Number(kib) / 1024), seconds: Number(Number(seconds).toFixed(1)) };
}

/** `facefleet identify` of the first 100 LFW dev probes against the knn_examples gallery, enrolled with the same recognizer. */
function identifyHundred(recognizer: string): IdentifyRun {
  const precision = precisionOf(recognizer);
  process.stderr.write(`identify over 100 pictures: ${recognizer}\n`);
  const hundred = lfwProbes()
    .slice(0, 100)
    .map((p) => p.path);
  mkdirSync("bench/.cache", { recursive: true });
  const gallery = `bench/.cache/throughput-gallery-${recognizer}.json`;
  const model = ["--recognizer", recognizer, "--precision", precision];
  const train = join(sharedDir, "data", "face_recognition_examples", "examples", "knn_examples", "train");
  execFileSync(process.execPath, ["bin/facefleet.js", "enroll", train, "--gallery", gallery, ...model], { env, stdio: "ignore" });
  const run = peakRssOfCommand([process.execPath, "bin/facefleet.js", "identify", ...hundred, "--gallery", gallery, "--json", ...model]);
  return { recognizer, precision, ...run };
}

/** face_recognition's speed on the same pictures; `repeats` passes over each set (its default is 3). */
function baselineSpeed(repeats: number): Record<string, unknown> | null {
  const python = "bench/.venv/bin/python";
  if (!existsSync(python)) {
    process.stderr.write("baseline: bench/.venv missing (bash bench/baseline/setup.sh); using no baseline\n");
    return null;
  }
  process.stderr.write(`baseline: face_recognition speed on the same pictures (${repeats} pass${repeats === 1 ? "" : "es"})\n`);
  const args = ["speed", "--out", "bench/results/baseline-speed.json", "--repeats", String(repeats)];
  execFileSync(python, ["bench/baseline/face_recognition_eval.py", ...args], { stdio: ["ignore", "ignore", "inherit"] });
  return JSON.parse(readFileSync("bench/results/baseline-speed.json", "utf8"));
}

type BaselineRates = { images: number | undefined; video: number | undefined };
const ratesOf = (b: Record<string, unknown> | null): BaselineRates => {
  const speed = b as { examples_images?: { images_per_s?: number }; video?: { images_per_s?: number } } | null;
  return { images: speed?.examples_images?.images_per_s, video: speed?.video?.images_per_s };
};

type ThroughputResult = {
  generatedAt: string;
  command: string;
  machine: ReturnType<typeof machineDescription> & { loadavgBefore: number[]; loadavgAfter: number[] };
  measurements: Measurement[];
  identify100: IdentifyRun[];
  /** The baseline's run after facefleet's rows (its full JSON, also bench/results/baseline-speed.json)... */
  baseline: Record<string, unknown> | null;
  /** ...and its pictures/s in a run before them: on a shared machine the load drifts, so ratios use both. */
  baselineBefore?: BaselineRates;
};

/** Measures everything and saves throughput.json. */
async function measureAll(recognizers: string[]): Promise<ThroughputResult> {
  const loadavgBefore = loadavg().map((v) => Number(v.toFixed(2)));
  const commandOptions = [
    ...(recognizers.join(",") === DEFAULT_RECOGNIZERS ? [] : ["--recognizer", recognizers.join(",")]),
    ...(values.threads ? ["--threads", values.threads] : []),
  ];
  const baselineBefore = ratesOf(baselineSpeed(1));
  const measurements: Measurement[] = [];
  for (const set of ["images", "video", "video-camera"]) {
    for (const recognizer of recognizers) {
      measurements.push(measure(recognizer, 1, set));
      // Two pictures in flight with one thread each: how a worker serving several cameras uses both cores. (Two
      // threads inside one model were slower than one in every run on the shared 2-core machine: `--threads 2`.)
      for (const threads of extraThreads) measurements.push(measure(recognizer, threads, set));
      measurements.push(measure(recognizer, 1, set, 2));
    }
  }
  const identify100 = recognizers.map(identifyHundred);
  const baseline = baselineSpeed(1);
  const result: ThroughputResult = {
    generatedAt: new Date().toISOString(),
    command: ["npm run bench:throughput", ...(commandOptions.length > 0 ? ["--", ...commandOptions] : [])].join(" "),
    machine: { ...machineDescription(), loadavgBefore, loadavgAfter: loadavg().map((v) => Number(v.toFixed(2))) },
    measurements,
    identify100,
    baseline,
    baselineBefore,
  };
  await writeFileAtomic("bench/results/throughput.json", `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

const result: ThroughputResult = values["report-only"]
  ? JSON.parse(readFileSync("bench/results/throughput.json", "utf8"))
  : await measureAll((values.recognizer as string).split(","));
const { measurements, identify100, baseline } = result;
const recognizers = [...new Set(measurements.map((m) => m.recognizer))];

const read = (path: string) => (existsSync(path) ? JSON.parse(readFileSync(path, "utf8")) : null);
const pct = (v: number | undefined) => (v === undefined ? "n/a" : `${(100 * v).toFixed(2)} %`);
const find = (set: string, recognizer: string, threads: number, concurrency: number) =>
  measurements.find((m) => m.set === set && m.recognizer === recognizer && m.threads === threads && m.concurrency === concurrency);
const best = (set: string, recognizer: string) =>
  measurements.filter((m) => m.set === set && m.recognizer === recognizer).sort((a, b) => b.picturesPerSecond - a.picturesPerSecond)[0];
const RSS_GOAL_MB = 250;
const mb = (mib: number) => Math.round((mib * 2 ** 20) / 1e6);

const lines = [
  "# Recognition throughput and memory",
  "",
  `Generated ${result.generatedAt} by \`${result.command}\` on ${result.machine.cpu} (${result.machine.cores} cores, ${result.machine.memoryGiB} GiB), ${result.machine.os}, Node ${result.machine.node}, onnxruntime-node ${result.machine.onnxruntime}, sharp ${result.machine.sharp}.`,
  `The machine was shared with other engineers' builds and tests while this ran (1-minute load average ${result.machine.loadavgBefore?.[0] ?? "?"} before, ${result.machine.loadavgAfter?.[0] ?? "?"} after, on ${result.machine.cores} cores): absolute figures are modest; compare rows of this run, and quote ratios between them only.`,
  "",
  "Each row is its own process; pictures per second include decode, detect, align, embed and match (100-person gallery). Median ms per picture per stage. The detector is YuNet for every row; on x86 it stays fp32 in the int8 rows too (its int8 file is slower there, models/execution-provider.ts), so the rows differ only in the recognizer. `in flight` = pictures processed at once.",
  "",
  "| set | recognizer | precision | threads | in flight | pictures | faces | pictures/s | decode | detect | align | embed | match | embed ms/face | peak RSS MiB |",
  "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ...measurements.map(
    (m) =>
      `| ${m.set} | ${m.recognizer} | ${m.precision} | ${m.threads} | ${m.concurrency} | ${m.pictures} | ${m.faces} | ${m.picturesPerSecond} | ${m.stages.decode?.medianMs} | ${m.stages.detect?.medianMs} | ${m.stages.align?.medianMs} | ${m.stages.embed?.medianMs} | ${m.stages.match?.medianMs} | ${m.embedMsPerFace} | ${m.peakRssMiB} |`,
  ),
  "",
  "## ms per face, per model and precision (1 thread, 1 in flight)",
  "",
  "Embedding time over every face of the set (align excluded), from the rows above. bench/results/sface-speed.md measures the same models interleaved in one process, one face per run, which is steadier on a shared machine.",
  "",
  "| recognizer | precision | images: ms/face | video: ms/face | int8 speed-up over fp32 (images / video) |",
  "|---|---|---|---|---|",
];
for (const recognizer of recognizers) {
  const images = find("images", recognizer, 1, 1);
  const video = find("video", recognizer, 1, 1);
  const fp32 = recognizer.endsWith("-int8") ? recognizer.slice(0, -"-int8".length) : null;
  const speedUp = (set: string, ours: Measurement | undefined) => {
    const reference = fp32 ? find(set, fp32, 1, 1) : undefined;
    return ours && reference ? `${(reference.embedMsPerFace / ours.embedMsPerFace).toFixed(2)}x` : "—";
  };
  lines.push(
    `| ${recognizer} | ${images?.precision ?? video?.precision} | ${images?.embedMsPerFace ?? "n/a"} | ${video?.embedMsPerFace ?? "n/a"} | ${fp32 ? `${speedUp("images", images)} / ${speedUp("video", video)}` : "—"} |`,
  );
}
lines.push(
  "",
  "## Peak RSS of `facefleet identify` over 100 pictures",
  "",
  `The first 100 LFW dev probes against the knn_examples gallery enrolled with the same recognizer, one process each, whole process including model loading: its peak resident set (getrusage ru_maxrss, which Linux keeps as the process's VmHWM). Goal: ≤ ${RSS_GOAL_MB} MB.`,
  "",
  "| recognizer | precision | peak RSS | seconds | ≤ 250 MB |",
  "|---|---|---|---|---|",
  ...identify100.map(
    (r) =>
      `| ${r.recognizer} | ${r.precision} | ${r.peakRssMiB} MiB (${mb(r.peakRssMiB)} MB) | ${r.seconds} | ${mb(r.peakRssMiB) <= RSS_GOAL_MB ? "yes" : "no"} |`,
  ),
  "",
);
if (baseline) {
  const b = baseline as {
    examples_images?: { images_per_s?: number };
    video?: { images_per_s?: number; faces_detected?: number; images?: number };
    peak_rss_mb?: number;
  };
  const accuracy = read("bench/results/accuracy.json") as {
    generatedAt: string;
    results: {
      recognizer: string;
      lfwVerification: { accuracy: number };
      lfwIdentification: { distance: { top1: number; unknownRejection: number } };
    }[];
  } | null;
  const baseVerify = read("bench/results/baseline-lfw-verify.json");
  const baseIdentify = read("bench/results/baseline-lfw-identify.json");
  // The mean of the runs before and after facefleet's rows (the load of a shared machine drifts in between).
  const after = ratesOf(baseline);
  const before = result.baselineBefore;
  const mean = (x: number | undefined, y: number | undefined) => (x !== undefined && y !== undefined ? (x + y) / 2 : (y ?? x));
  const baseVideo = mean(before?.video, after.video);
  const baseImages = mean(before?.images, after.images);
  const both = (x: number | undefined, y: number | undefined) =>
    before
      ? `${x?.toFixed(2) ?? "n/a"} before and ${y?.toFixed(2) ?? "n/a"} after facefleet's rows, mean ${mean(x, y)?.toFixed(2) ?? "n/a"}`
      : (y?.toFixed(2) ?? "n/a");
  const ratio = (ours: number | undefined, theirs: number | undefined) => (ours && theirs ? `${(ours / theirs).toFixed(1)}x` : "n/a");
  lines.push(
    "## Against face_recognition 1.3.0 (dlib HOG + ResNet), same machine, same run",
    "",
    `face_recognition runs one thread (bench/baseline/README.md): ${both(before?.images, after.images)} pictures/s on the images; ${both(before?.video, after.video)} video frames/s; peak RSS ${b.peak_rss_mb ?? "n/a"} MB. Ratios are against the mean. "1 thread" is facefleet's row at 1 thread and 1 picture in flight (like for like); "best" its fastest row (2 in flight or 2 threads use both cores). Accuracy from bench/results/accuracy.md${accuracy ? ` (${accuracy.generatedAt.slice(0, 10)})` : ""}: LFW verification (4-fold protocol) and open-set identification on LFW dev at each one's default threshold (enrolled probes named right / strangers rejected). Goal: ≥ 10x the video frames/s at higher accuracy.`,
    "",
    "| pipeline | video frames/s, 1 thread (ratio) | video frames/s, best (ratio) | images/s, best (ratio) | LFW verification | open-set: named / strangers rejected |",
    "|---|---|---|---|---|---|",
    `| face_recognition (dlib HOG + ResNet) | ${baseVideo?.toFixed(2) ?? "n/a"} | — | ${baseImages?.toFixed(2) ?? "n/a"} | ${pct(baseVerify?.lfw_protocol?.mean_accuracy)} | ${pct(baseIdentify?.enrolled_probes?.top1_accuracy)} / ${pct(baseIdentify?.unknown_probes?.rejection_rate)} |`,
  );
  for (const recognizer of recognizers) {
    const single = find("video", recognizer, 1, 1);
    const fastest = best("video", recognizer);
    const images = best("images", recognizer);
    const acc = accuracy?.results.find((r) => r.recognizer === recognizer);
    lines.push(
      `| facefleet, YuNet + ${recognizer} | ${single?.picturesPerSecond ?? "n/a"} (${ratio(single?.picturesPerSecond, baseVideo)}) | ${fastest?.picturesPerSecond ?? "n/a"} (${ratio(fastest?.picturesPerSecond, baseVideo)}, ${fastest?.threads} thread${fastest?.threads === 1 ? "" : "s"}, ${fastest?.concurrency} in flight) | ${images?.picturesPerSecond ?? "n/a"} (${ratio(images?.picturesPerSecond, baseImages)}) | ${acc ? pct(acc.lfwVerification.accuracy) : "not in accuracy.json"} | ${acc ? `${pct(acc.lfwIdentification.distance.top1)} / ${pct(acc.lfwIdentification.distance.unknownRejection)}` : "—"} |`,
    );
    // The same video as one camera's stream through the agent's FrameProcessor (tracks), measure.ts.
    const stream = find("video-camera", recognizer, 1, 1);
    const streamBest = best("video-camera", recognizer);
    if (stream)
      lines.push(
        `| facefleet as an agent runs a camera (tracks: a named face not embedded in every frame, plausibility once per face), YuNet + ${recognizer} | ${stream.picturesPerSecond} (${ratio(stream.picturesPerSecond, baseVideo)}; ${stream.embedded} of ${stream.faces} faces embedded) | ${streamBest?.picturesPerSecond ?? "n/a"} (${ratio(streamBest?.picturesPerSecond, baseVideo)}, ${streamBest?.concurrency} in flight) | — | as above | as above |`,
      );
  }
  const ourVideo = recognizers.map((r) => find("video", r, 1, 1)).find((m) => m !== undefined);
  if (ourVideo && b.video?.faces_detected && b.video.images && baseVideo) {
    const ours = (ourVideo.faces / ourVideo.pictures) * ourVideo.picturesPerSecond;
    const theirs = (b.video.faces_detected / b.video.images) * baseVideo;
    lines.push(
      "",
      `On the video, YuNet finds ${ourVideo.faces} faces in ${ourVideo.pictures} frames where dlib's HOG finds ${b.video.faces_detected} in ${b.video.images} (${b.video.images / ourVideo.pictures === 1 ? "one pass" : `${b.video.images / ourVideo.pictures} passes`}; turned and small faces), and facefleet embeds and matches every one: faces named per second with ${ourVideo.recognizer} at 1 thread ${ours.toFixed(1)} vs ${theirs.toFixed(1)}, ${(ours / theirs).toFixed(1)}x.`,
    );
  }
  lines.push("", "Baseline details: bench/results/baseline-speed.json.", "");
}
await writeFileAtomic("bench/results/throughput.md", `${lines.join("\n")}\n`);
process.stdout.write(`${lines.join("\n")}\n`);
