/**
 * The fault table: one fleet (testing/fault-fleet.ts: a broker of its own on ports 32040/32041, `facefleet
 * coordinator` with embedded MQTT on 32050/32051, 2 `facefleet agent` processes behind TCP proxies 32060-32063),
 * frames from 4 cameras every 400 ms, and every fault of testing/fault-catalogue.ts `FAULTS_TRIALS` times (default 3):
 * frames lost and duplicated, recovery ms (fault end → every partition processed again; → the fleet restored)
 * min/median/max. Writes bench/results/faults.json and faults.md (atomically).
 *
 *   npm run bench:faults   [FAULTS_TRIALS=3 FAULTS_HOLD_MS=20000: how long SIGSTOPs and cuts last]
 */
import { writeFileAtomic } from "../../core/atomic-write.js";
import {
  agentFrozen,
  agentKilled,
  brokerHung,
  brokerRestarted,
  clockRight,
  clockSkewed,
  coordinatorKilled,
  type Fault,
  kafkaCut,
  mqttCut,
} from "../../testing/fault-catalogue.js";
import { FaultFleet, type FaultMeasure, sleep } from "../../testing/fault-fleet.js";
import { useTestModels } from "../../testing/paths.js";
import { machineDescription } from "../support/machine.js";

const TRIALS = Number(process.env.FAULTS_TRIALS ?? 3);
const HOLD_MS = Number(process.env.FAULTS_HOLD_MS ?? 20_000);
const say = (line: string) => process.stdout.write(`${line}\n`);

type Range = { min: number; median: number; max: number };
const range = (values: number[]): Range => {
  const sorted = [...values].sort((a, b) => a - b);
  return { min: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
};

async function main(): Promise<void> {
  useTestModels();
  const faults: Fault[] = [
    agentKilled("agent-b"),
    agentFrozen("agent-b", HOLD_MS),
    brokerRestarted(1000),
    brokerHung(HOLD_MS),
    coordinatorKilled(1000),
    kafkaCut("agent-b", HOLD_MS),
    mqttCut("agent-b", HOLD_MS),
    clockSkewed("agent-b", 5 * 60_000, 5000, 5000),
    clockSkewed("agent-b", -5 * 60_000, 5000, 5000),
  ];
  const fleet = await FaultFleet.start({ basePort: 32040, agents: ["agent-a", "agent-b"], partitions: 4, intervalMs: 400 });
  const trials: (FaultMeasure & { timedOut?: boolean })[][] = faults.map(() => []);
  /** The report of the trials done so far (written after each, so a run cut short still leaves its figures). */
  const write = async (total: { produced: number; lost: number; duplicated: number } | null, done: number) => {
    const rows = faults.map((fault, i) => {
      const all = trials[i] ?? [];
      const ms = all.filter((m) => !m.timedOut);
      return {
        fault: fault.name,
        trials: all.length,
        notRecovered: all.length - ms.length,
        produced: ms.reduce((n, m) => n + m.produced, 0),
        lost: ms.reduce((n, m) => n + m.lost, 0),
        duplicated: ms.reduce((n, m) => n + m.duplicated, 0),
        processedMs: range(ms.map((m) => m.processedMs)),
        restoredMs: range(ms.map((m) => m.restoredMs)),
        measures: all,
      };
    });
    const result = {
      command: "npm run bench:faults",
      date: new Date().toISOString(),
      machine: machineDescription(),
      setup: {
        agents: 2,
        partitions: 4,
        frameIntervalMs: 400,
        trials: TRIALS,
        trialsDone: done,
        holdMs: HOLD_MS,
        agentSessionTimeoutMs: 3000,
        mqttKeepaliveS: 2,
      },
      rows,
      total,
    };
    await writeFileAtomic("bench/results/faults.json", `${JSON.stringify(result, null, 2)}\n`);
    await writeFileAtomic("bench/results/faults.md", renderReport(result));
  };
  try {
    for (let trial = 0; trial < TRIALS; trial++) {
      for (const [i, fault] of faults.entries()) {
        if (fault.agent) await fleet.giveWork(fault.agent);
        const m = await measureOrTimeout(fleet, fault);
        trials[i]?.push(m);
        say(
          `trial ${trial + 1} ${m.fault}: ${m.produced} frames, ${m.lost} lost, ${m.duplicated} duplicated, processed ${m.processedMs} ms, restored ${m.restoredMs} ms (${m.note})`,
        );
        if (m.timedOut) {
          // The fleet did not recover in time: the trial is counted as such, and the run goes on once it has.
          process.stderr.write(`${fleet.dump(60)}\n`);
          await fleet.until(`${fault.name}: the fleet restored after the timeout`, () => fleet.restored(), 180_000);
        }
        await write(null, trial);
        await sleep(2000);
      }
      await clockRight("agent-b").inject(fleet);
      await fleet.until("agent-b back with its clock right", () => fleet.restored(), 120_000);
      if (trial + 1 < TRIALS) await write(null, trial + 1);
    }
    await write(await fleet.finish(), TRIALS);
    say("wrote bench/results/faults.json and faults.md");
  } catch (error) {
    process.stderr.write(`${fleet.dump(60)}\n`);
    throw error;
  } finally {
    await fleet.stop();
  }
}

/** How long a fault may take to recover before its trial is counted as not recovered. */
const RECOVERY_TIMEOUT_MS = 180_000;

/** One trial of `fault`; a fleet that does not recover within RECOVERY_TIMEOUT_MS is a result, not a crash. */
async function measureOrTimeout(fleet: FaultFleet, fault: Fault): Promise<FaultMeasure & { timedOut?: boolean }> {
  try {
    return await fleet.measure(fault.name, () => fault.inject(fleet), RECOVERY_TIMEOUT_MS);
  } catch (error) {
    const reason = (error as Error).message.split("\n")[0] ?? "";
    if (!reason.startsWith("timed out")) throw error;
    return {
      fault: fault.name,
      produced: 0,
      lost: 0,
      duplicated: 0,
      processedMs: RECOVERY_TIMEOUT_MS,
      restoredMs: RECOVERY_TIMEOUT_MS,
      note: `not recovered: ${reason}`,
      timedOut: true,
    };
  }
}

function renderReport(r: {
  date: string;
  machine: ReturnType<typeof machineDescription>;
  setup: { trials: number; trialsDone: number; holdMs: number };
  rows: {
    fault: string;
    trials: number;
    notRecovered: number;
    produced: number;
    lost: number;
    duplicated: number;
    processedMs: Range;
    restoredMs: Range;
  }[];
  total: { produced: number; lost: number; duplicated: number } | null;
}): string {
  const ms = (x: Range) => `${x.min} / ${x.median} / ${x.max}`;
  return [
    "# Faults survived (2 agents × 4 cameras)",
    "",
    `\`npm run bench:faults\` — ${r.date}, ${r.machine.cpu} × ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.os}, Node ${r.machine.node}.`,
    "",
    "One broker from the jars, `facefleet coordinator` (embedded MQTT), 2 `facefleet agent` processes following the plan, each",
    "behind TCP proxies of its own to Kafka and MQTT (testing/tcp-proxy.ts; a cut holds every byte, as a pulled cable does),",
    `4 cameras (one partition each) at 2.5 frames/s each; every fault ${r.setup.trialsDone} times, SIGSTOPs and cuts lasting ${r.setup.holdMs / 1000} s.`,
    "Agents: Kafka session 3 s, heartbeat 0.5 s, MQTT keepalive 2 s; coordinator: missed health 4 s, planner every 2 s, cooldown 5 s.",
    "",
    "Recovery is measured from the fault's end (the SIGCONT, the heal, the restart, the kill) on the bench's own clock:",
    "**processed** = until every partition has a detection of a frame produced after that moment; **restored** = until every",
    "live agent is online and holds exactly what the plan gives it, every partition owned by a live agent. Lost = frames",
    "produced in the fault's window with no detection at the end; duplicated = (camera, seq) detected twice (at-least-once:",
    "frames processed but not committed when their owner was cut off, frozen or killed). A trial not recovered within",
    `${RECOVERY_TIMEOUT_MS / 1000} s is counted in its column and left out of the ms ranges and the frame counts (its frames are in the whole-run count).`,
    "",
    `| fault | trials | not recovered in ${RECOVERY_TIMEOUT_MS / 1000} s | frames | lost | duplicated | processed ms min / median / max | restored ms min / median / max |`,
    "|---|---|---|---|---|---|---|---|",
    ...r.rows.map(
      (x) =>
        `| ${x.fault} | ${x.trials} | ${x.notRecovered} | ${x.produced} | **${x.lost}** | ${x.duplicated} | ${ms(x.processedMs)} | ${ms(x.restoredMs)} |`,
    ),
    "",
    r.total
      ? `Whole run: ${r.total.produced} frames produced, **${r.total.lost} lost**, ${r.total.duplicated} duplicated.`
      : `**Cut short after ${r.setup.trialsDone} of ${r.setup.trials} trials** (the figures above are of those; the whole-run count comes at the end of a full run).`,
    "",
    "Before each fault aimed at agent-b the bench gives it a partition if the plan left it none (an operator move): the",
    "planner moves partitions only when that pays, so an agent that came back may stay idle while the other carries the load.",
    "The clock rows restart agent-b with `Date` shifted (testing/fault-preload.ts) and `maxFrameAgeMs` 5000: before",
    "agent/worker/capture-clock.ts every fresh frame looked 5 minutes old to an agent ahead and was skipped (all lost).",
    "",
  ].join("\n");
}

main().catch((error) => {
  process.stderr.write(`bench faults: ${(error as Error).message}\n`);
  process.exit(1);
});
