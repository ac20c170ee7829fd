/**
 * The soak (not in CI): a FaultFleet (testing/fault-fleet.ts: a broker of its own on ports 32070/32071, `facefleet
 * coordinator` with embedded MQTT on 32080/32081, 2 `facefleet agent` processes behind proxies 32090-32093), 4 cameras
 * × 10 frames/s for `--duration-min` minutes (default 60), agent-b SIGKILLed and restarted every `--kill-every-min`
 * (default 5). Every 10 s: RSS and V8 heap of each process (written by testing/fault-preload.ts), the consumer lag
 * the agents report, the frames produced and detected. At the end: the least-squares slope of RSS and heap per hour
 * for the processes that live through the run (the coordinator, agent-a; agent-b's peak per life), the lag's
 * max, frames lost and duplicated. Writes bench/results/soak.json and soak.md (atomically).
 *
 *   npm run bench:soak [-- --duration-min 60 --kill-every-min 5]
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { agentKilled } from "../../testing/fault-catalogue.js";
import { FaultFleet, sleep } from "../../testing/fault-fleet.js";
import { useTestModels } from "../../testing/paths.js";
import { machineDescription } from "../support/machine.js";

const say = (line: string) => process.stdout.write(`${line}\n`);
const MiB = 1024 * 1024;

type Memory = { at: number; rss: number; heapUsed: number };
type Sample = { at: number; memory: Record<string, Memory | null>; lag: number; produced: number; detected: number };

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const sxx = points.reduce((s, p) => s + (p.x - mx) ** 2, 0);
  return sxx === 0 ? 0 : points.reduce((s, p) => s + (p.x - mx) * (p.y - my), 0) / sxx;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { "duration-min": { type: "string" }, "kill-every-min": { type: "string" } } });
  const durationMin = Number(values["duration-min"] ?? 60);
  const killEveryMin = Number(values["kill-every-min"] ?? 5);
  if (!(durationMin > 0) || !(killEveryMin > 0)) throw new Error("--duration-min and --kill-every-min must be positive numbers");
  useTestModels();
  const memoryDir = mkdtempSync(path.join(tmpdir(), "facefleet-soak-memory-"));
  const names = ["coordinator", "agent-a", "agent-b"];
  const readMemory = (name: string): Memory | null => {
    try {
      return JSON.parse(readFileSync(path.join(memoryDir, `${name}.json`), "utf8")) as Memory;
    } catch {
      return null;
    }
  };
  const fleet = await FaultFleet.start({ basePort: 32070, agents: ["agent-a", "agent-b"], partitions: 4, intervalMs: 100, memoryDir });
  const samples: Sample[] = [];
  const lives: { startedAt: number; peakRssMiB: number }[] = [{ startedAt: Date.now(), peakRssMiB: 0 }];
  const kills: { at: number; processedMs: number; lost: number; duplicated: number }[] = [];
  const started = Date.now();
  const end = started + durationMin * 60_000;
  let nextKill = started + killEveryMin * 60_000;
  try {
    while (Date.now() < end) {
      const agents = await fleet.api.agents().catch(() => []);
      const lag = agents.reduce((s, a) => s + (a.health?.partitions ?? []).reduce((t, p) => t + (p.lag ?? 0), 0), 0);
      const memory = Object.fromEntries(names.map((n) => [n, readMemory(n)]));
      const b = memory["agent-b"];
      const life = lives.at(-1);
      if (b && life && b.at >= life.startedAt) life.peakRssMiB = Math.max(life.peakRssMiB, b.rss / MiB);
      samples.push({ at: Date.now(), memory, lag, produced: fleet.flow.produced.length, detected: fleet.ledger.seen.length });
      if (samples.length % 6 === 0) {
        say(
          `${Math.round((Date.now() - started) / 60_000)} min: lag ${lag}, produced ${fleet.flow.produced.length}, detections ${fleet.ledger.seen.length}, RSS MiB ${names.map((n) => `${n} ${Math.round((memory[n]?.rss ?? 0) / MiB)}`).join(", ")}`,
        );
      }
      if (Date.now() >= nextKill && Date.now() + 60_000 < end) {
        const m = await fleet.measure("agent SIGKILL, restarted", () => agentKilled("agent-b").inject(fleet), 180_000);
        kills.push({ at: Date.now(), processedMs: m.processedMs, lost: m.lost, duplicated: m.duplicated });
        lives.push({ startedAt: Date.now(), peakRssMiB: 0 });
        say(`kill ${kills.length}: processed again ${m.processedMs} ms after, ${m.lost} lost, ${m.duplicated} duplicated`);
        nextKill += killEveryMin * 60_000;
      }
      await sleep(10_000);
    }
    const total = await fleet.finish(180_000);
    // The first 2 minutes are warm-up (JIT, arenas, the first plans): left out of the slopes.
    const steady = samples.filter((s) => s.at >= started + Math.min(120_000, (durationMin * 60_000) / 5));
    const slopes = Object.fromEntries(
      ["coordinator", "agent-a"].map((name) => {
        const points = steady.filter((s) => s.memory[name]);
        const perHour = (pick: (m: Memory) => number) =>
          Math.round(slope(points.map((s) => ({ x: (s.at - started) / 3_600_000, y: pick(s.memory[name] as Memory) / MiB }))) * 10) / 10;
        const rss = points.map((s) => (s.memory[name] as Memory).rss / MiB);
        return [
          name,
          {
            rssMiBPerHour: perHour((m) => m.rss),
            heapMiBPerHour: perHour((m) => m.heapUsed),
            rssMiB: { first: Math.round(rss[0] ?? 0), last: Math.round(rss.at(-1) ?? 0), max: Math.round(Math.max(0, ...rss)) },
          },
        ];
      }),
    );
    const result = {
      command: `npm run bench:soak -- --duration-min ${durationMin} --kill-every-min ${killEveryMin}`,
      date: new Date().toISOString(),
      machine: machineDescription(),
      setup: { durationMin, killEveryMin, cameras: 4, fpsPerCamera: 10, agents: 2 },
      slopes,
      agentBPeakRssMiBPerLife: lives.map((l) => Math.round(l.peakRssMiB)),
      lag: { max: Math.max(0, ...samples.map((s) => s.lag)), last: samples.at(-1)?.lag ?? 0 },
      kills,
      total,
      samples,
    };
    await writeFileAtomic("bench/results/soak.json", `${JSON.stringify(result, null, 2)}\n`);
    await writeFileAtomic("bench/results/soak.md", renderReport(result));
    say(`wrote bench/results/soak.json and soak.md: ${total.produced} frames, ${total.lost} lost`);
  } catch (error) {
    process.stderr.write(`${fleet.dump(60)}\n`);
    throw error;
  } finally {
    await fleet.stop();
    rmSync(memoryDir, { recursive: true, force: true });
  }
}

function renderReport(r: {
  command: string;
  date: string;
  machine: ReturnType<typeof machineDescription>;
  setup: { durationMin: number; killEveryMin: number };
  slopes: Record<string, { rssMiBPerHour: number; heapMiBPerHour: number; rssMiB: { first: number; last: number; max: number } }>;
  agentBPeakRssMiBPerLife: number[];
  lag: { max: number; last: number };
  kills: { processedMs: number; lost: number; duplicated: number }[];
  total: { produced: number; lost: number; duplicated: number };
}): string {
  return [
    `# Soak: ${r.setup.durationMin} minutes, 4 cameras × 10 frames/s, an agent killed every ${r.setup.killEveryMin} minutes`,
    "",
    `\`${r.command}\` — ${r.date}, ${r.machine.cpu} × ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.os}, Node ${r.machine.node}.`,
    "",
    r.setup.durationMin < 60
      ? `**A shortened run** (${r.setup.durationMin} minutes instead of the hour of \`npm run bench:soak\`): slopes over so short a window say little about a slow leak.`
      : "",
    "",
    "`facefleet coordinator` (embedded MQTT) and 2 `facefleet agent` processes following the plan (testing/fault-fleet.ts);",
    "agent-b is SIGKILLed and restarted at once on schedule; memory is each process's own `process.memoryUsage()` every 5 s",
    "(testing/fault-preload.ts), sampled every 10 s; slopes by least squares after the warm-up.",
    "",
    "| process | RSS MiB first / last / max | RSS slope MiB/h | heap slope MiB/h |",
    "|---|---|---|---|",
    ...Object.entries(r.slopes).map(
      ([name, s]) => `| ${name} | ${s.rssMiB.first} / ${s.rssMiB.last} / ${s.rssMiB.max} | ${s.rssMiBPerHour} | ${s.heapMiBPerHour} |`,
    ),
    "",
    `agent-b's peak RSS per life (MiB): ${r.agentBPeakRssMiBPerLife.join(", ")}.`,
    "",
    `Consumer lag (frames behind, all partitions, as the agents report it): max ${r.lag.max}, last ${r.lag.last}.`,
    "",
    `Kills: ${r.kills.map((k, i) => `${i + 1}: every partition processed again ${k.processedMs} ms after, ${k.lost} lost, ${k.duplicated} duplicated`).join("; ") || "none"}.`,
    "",
    `Frames: ${r.total.produced} produced, **${r.total.lost} lost**, ${r.total.duplicated} duplicated.`,
    "",
  ]
    .filter((line, i, all) => !(line === "" && all[i - 1] === ""))
    .join("\n");
}

main().catch((error) => {
  process.stderr.write(`bench soak: ${(error as Error).message}\n`);
  process.exit(1);
});
