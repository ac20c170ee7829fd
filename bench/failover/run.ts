/**
 * Failover, drain and rebalance on a real fleet: a broker of its own (private ports 20392/20393, temp
 * data dir), `facefleet coordinator` (embedded MQTT), 3 `facefleet agent` processes following the plan,
 * 12 partitions with one frame each per 500 ms (24 frames/s in all). Measures, over several trials:
 *  - failover: SIGKILL of an agent → every partition it owned has a detection by another agent
 *    (the first frame of that partition processed elsewhere);
 *  - drain: POST /api/agents/:id/drain → the agent reports no partitions and every partition it owned
 *    has a detection by another agent;
 *  - rebalance pause: an operator move of one partition → the longest gap between consecutive
 *    detections of any partition, minus the frame interval (kafkajs rebalances are eager: the whole
 *    group pauses);
 *  - frames lost (produced without a detection) and duplicated ((camera, seq) detected twice).
 * Writes bench/results/failover.json and failover.md (atomically).
 *
 *   npm run bench:failover            (npm run build && node dist/bench/failover/run.js)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeFileAtomic } from "../../core/atomic-write.js";
import { type PartitionPlan, partitionsOf } from "../../protocol/plan.js";
import {
  CoordinatorApi,
  DetectionLedger,
  type FleetPorts,
  FleetProcess,
  FrameFlow,
  waitForAsync,
  writeAgentConfig,
  writeCoordinatorConfig,
} from "../../testing/fleet.js";
import { createPlanTopic, createTopics, startBroker } from "../../testing/kafka-harness.js";
import { useTestModels } from "../../testing/paths.js";
import { machineDescription } from "../support/machine.js";

const PARTITIONS = 12;
const INTERVAL_MS = 500;
const TRIALS = Number(process.env.FAILOVER_TRIALS ?? 3);
const say = (line: string) => process.stdout.write(`${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits for `predicate` (errors count as "not yet"); 2 minutes unless told. */
const until = (what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 120_000) => waitForAsync(what, predicate, timeoutMs);

/** The agent the plan gives the most partitions (ties: the first in `ids`), not one of `except`. */
function mostLoaded(plan: PartitionPlan | null, ids: string[], except: string[]): string {
  const candidates = ids.filter((id) => !except.includes(id));
  let best = candidates[0] as string;
  for (const id of candidates) if (plan && partitionsOf(plan, id).length > partitionsOf(plan, best).length) best = id;
  return best;
}

type Trial = { agent: string; partitions: number; ms: number };
type Pause = { partition: number; to: string; pauseMs: number; longestGapMs: number };

async function main(): Promise<void> {
  useTestModels();
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-failover-"));
  const broker = await startBroker(20392);
  const processes: FleetProcess[] = [];
  let flow: FrameFlow | undefined;
  let ledger: DetectionLedger | undefined;
  try {
    await createTopics(broker.kafka, PARTITIONS);
    await createPlanTopic(broker.kafka);
    const ports: FleetPorts = { bootstrap: broker.bootstrap, mqttPort: 18861, httpPort: 18871 };
    const coordinatorConfig = writeCoordinatorConfig(dir, ports, { planner: { intervalMs: 5000, cooldownMs: 60_000 } });
    const api = new CoordinatorApi(`http://127.0.0.1:${ports.httpPort}`);
    processes.push(new FleetProcess("coordinator", ["coordinator", "--config", coordinatorConfig]));
    await until("the API", () => api.reachable(), 30_000);
    const agents = new Map<string, FleetProcess>();
    const startAgent = (id: string) => {
      const p = new FleetProcess(id, ["agent", "--config", writeAgentConfig(dir, id, ports)]);
      processes.push(p);
      agents.set(id, p);
    };
    const ids = ["agent-a", "agent-b", "agent-c"];
    for (const id of ids) startAgent(id);
    const followsPlan = async (live: string[]) => {
      const [view, list] = await Promise.all([api.plan(), api.agents()]);
      const plan = view.plan;
      if (!plan || Object.keys(plan.owners).length !== PARTITIONS) return false;
      return live.every((id) => {
        const a = list.find((x) => x.id === id);
        const held = (a?.health?.partitions ?? []).map((p) => p.partition).sort((x, y) => x - y);
        return a?.online === true && held.join(",") === partitionsOf(plan, id).join(",");
      });
    };
    await until("3 agents following the plan", async () => {
      const plan = (await api.plan()).plan;
      return new Set(Object.values(plan?.owners ?? {})).size === 3 && (await followsPlan(ids));
    });
    say("fleet up: 3 agents follow the plan");

    ledger = await DetectionLedger.start(broker.kafka);
    flow = await FrameFlow.start(broker.kafka, PARTITIONS, INTERVAL_MS);
    const book = ledger;
    await sleep(8000);

    const failovers: Trial[] = [];
    const drains: Trial[] = [];
    const pauses: Pause[] = [];
    /** When every partition of `orphans` has a detection by another agent than `from`, done after `since`. */
    const takenOver = (orphans: number[], from: string, since: number): number | null => {
      let last = 0;
      for (const p of orphans) {
        const firsts = book
          .all()
          .filter((d) => d.partition === p && d.agent !== from && d.doneTime > since)
          .map((d) => d.doneTime);
        if (firsts.length === 0) return null;
        last = Math.max(last, Math.min(...firsts));
      }
      return last;
    };

    for (let trial = 0; trial < TRIALS; trial++) {
      // Failover of the agent that owns the most partitions.
      const plan = (await api.plan()).plan;
      const victim = mostLoaded(plan, ids, []);
      const orphans = plan ? partitionsOf(plan, victim) : [];
      const killedAt = Date.now();
      await agents.get(victim)?.kill("SIGKILL");
      let doneAt: number | null = null;
      await until(`${victim}'s partitions taken over`, () => {
        doneAt = takenOver(orphans, victim, killedAt);
        return doneAt !== null;
      });
      failovers.push({ agent: victim, partitions: orphans.length, ms: (doneAt ?? killedAt) - killedAt });
      say(`failover ${trial + 1}: ${victim} (${orphans.length} partitions) taken over in ${(doneAt ?? killedAt) - killedAt} ms`);
      // It comes back and gets work again (a new agent).
      startAgent(victim);
      await until(
        `${victim} back with work`,
        async () => {
          const p = (await api.plan()).plan;
          return p !== null && partitionsOf(p, victim).length > 0 && (await followsPlan(ids));
        },
        180_000,
      );
      await sleep(5000);

      // Drain another agent.
      const before = (await api.plan()).plan;
      const drained = mostLoaded(before, ids, [victim]);
      const owned = before ? partitionsOf(before, drained) : [];
      const drainAt = Date.now();
      const response = await api.request("POST", `/api/agents/${drained}/drain`);
      if (response.status !== 200) throw new Error(`drain ${drained}: ${response.status} ${JSON.stringify(response.json)}`);
      await until(`${drained} drained`, async () => {
        const a = (await api.agents()).find((x) => x.id === drained);
        return a?.health?.partitions.length === 0 && takenOver(owned, drained, drainAt) !== null;
      });
      const drainedAt = Date.now();
      const handed = takenOver(owned, drained, drainAt) ?? drainedAt;
      drains.push({ agent: drained, partitions: owned.length, ms: Math.max(handed, drainedAt) - drainAt });
      say(`drain ${trial + 1}: ${drained} (${owned.length} partitions) handed over in ${Math.max(handed, drainedAt) - drainAt} ms`);
      await api.request("POST", `/api/agents/${drained}/undrain`);
      await sleep(3000);

      // Rebalance pause of an operator move.
      const current = (await api.plan()).plan;
      if (current) {
        const partition = trial % PARTITIONS;
        const owner = current.owners[String(partition)];
        const to = ids.find((id) => id !== owner && id !== drained) ?? (ids[0] as string);
        const movedAt = Date.now();
        const moved = await api.request("POST", `/api/partitions/${partition}/move`, { agent: to });
        if (moved.status === 200) {
          await until(`partition ${partition} on ${to}`, () =>
            book.all().some((d) => d.partition === partition && d.agent === to && d.doneTime > movedAt),
          );
          await sleep(3000);
          const window = book.all().filter((d) => d.doneTime >= movedAt - 2000 && d.doneTime <= Date.now());
          let longest = 0;
          for (let p = 0; p < PARTITIONS; p++) {
            const times = window
              .filter((d) => d.partition === p)
              .map((d) => d.doneTime)
              .sort((a, b) => a - b);
            for (let i = 1; i < times.length; i++) longest = Math.max(longest, (times[i] as number) - (times[i - 1] as number));
          }
          pauses.push({ partition, to, longestGapMs: longest, pauseMs: Math.max(0, longest - INTERVAL_MS) });
          say(
            `move ${trial + 1}: partition ${partition} to ${to}: longest gap ${longest} ms (pause ${Math.max(0, longest - INTERVAL_MS)} ms)`,
          );
        }
      }
      await sleep(3000);
    }

    await flow.stop();
    const produced = flow.produced;
    await until("every frame detected", () => book.missing(produced).length === 0, 90_000).catch(() => undefined);
    const lost = book.missing(produced).length;
    const duplicates = book.duplicates();
    say(`frames ${produced.length}, lost ${lost}, duplicated ${duplicates}`);

    const stats = (values: number[]) => {
      const sorted = [...values].sort((a, b) => a - b);
      return { min: sorted[0] ?? 0, median: sorted[Math.floor(sorted.length / 2)] ?? 0, max: sorted.at(-1) ?? 0 };
    };
    const result = {
      command: "npm run bench:failover",
      date: new Date().toISOString(),
      machine: machineDescription(),
      setup: {
        agents: 3,
        partitions: PARTITIONS,
        framesPerSecond: (PARTITIONS * 1000) / INTERVAL_MS,
        trials: TRIALS,
        agentSessionTimeoutMs: 3000,
        agentHeartbeatIntervalMs: 500,
        mqttKeepaliveS: 2,
        missedHealthMs: 4000,
      },
      failover: { ...stats(failovers.map((f) => f.ms)), trials: failovers },
      drain: { ...stats(drains.map((d) => d.ms)), trials: drains },
      rebalancePause: { ...stats(pauses.map((p) => p.pauseMs)), trials: pauses },
      frames: { produced: produced.length, detections: book.all().length, lost, duplicated: duplicates },
    };
    await writeFileAtomic("bench/results/failover.json", `${JSON.stringify(result, null, 2)}\n`);
    await writeFileAtomic("bench/results/failover.md", renderReport(result));
    say("wrote bench/results/failover.json and failover.md");
  } catch (error) {
    for (const p of processes) process.stderr.write(`${p.dump(40)}\n`);
    throw error;
  } finally {
    await flow?.stop().catch(() => undefined);
    await Promise.all(processes.map((p) => p.stop(5000)));
    await ledger?.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

type Range = { min: number; median: number; max: number };
function renderReport(r: {
  date: string;
  machine: ReturnType<typeof machineDescription>;
  setup: Record<string, number>;
  failover: Range & { trials: Trial[] };
  drain: Range & { trials: Trial[] };
  rebalancePause: Range & { trials: Pause[] };
  frames: { produced: number; detections: number; lost: number; duplicated: number };
}): string {
  const row = (name: string, x: Range, goal: string) => `| ${name} | ${x.min} | ${x.median} | ${x.max} | ${goal} |`;
  return [
    "# Failover, drain and rebalance (3 agents × 12 partitions)",
    "",
    `\`npm run bench:failover\` — ${r.date}, ${r.machine.cpu} × ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, ${r.machine.os}, Node ${r.machine.node}.`,
    "",
    `One broker from the jars, \`facefleet coordinator\` (embedded MQTT), 3 \`facefleet agent\` processes with \`worker.assignment: "plan"\`, ` +
      `${r.setup.framesPerSecond} frames/s over ${r.setup.partitions} partitions (one camera each), ${r.setup.trials} trials. Agents: Kafka session timeout ` +
      `${r.setup.agentSessionTimeoutMs} ms, heartbeat ${r.setup.agentHeartbeatIntervalMs} ms, MQTT keepalive ${r.setup.mqttKeepaliveS} s; coordinator: missed health after ${r.setup.missedHealthMs} ms.`,
    "",
    "| measure (ms) | min | median | max | goal |",
    "|---|---|---|---|---|",
    row("failover: SIGKILL → every partition of the dead agent processed elsewhere", r.failover, "≤ 5000"),
    row("drain: API call → the agent holds nothing and its partitions are processed elsewhere", r.drain, "—"),
    row("rebalance pause of an operator move (longest gap in any partition − frame interval)", r.rebalancePause, "—"),
    "",
    `Frames: ${r.frames.produced} produced, ${r.frames.detections} detections, **${r.frames.lost} lost**, ${r.frames.duplicated} duplicated (same camera and seq detected twice: frames processed but not yet committed when their owner died or handed over — at-least-once).`,
    "",
    "## Trials",
    "",
    "| trial | failover | drain | move pause |",
    "|---|---|---|---|",
    ...r.failover.trials.map((f, i) => {
      const d = r.drain.trials[i];
      const p = r.rebalancePause.trials[i];
      return `| ${i + 1} | ${f.agent} (${f.partitions} partitions): ${f.ms} | ${d ? `${d.agent} (${d.partitions}): ${d.ms}` : "—"} | ${p ? `partition ${p.partition} → ${p.to}: ${p.pauseMs} (gap ${p.longestGapMs})` : "—"} |`;
    }),
    "",
    "Failover is bounded by the agents' Kafka session timeout: a SIGKILLed agent sends no LeaveGroup, so the group",
    "rebalances when the broker expires it. The coordinator learns of the death sooner (MQTT last will) and publishes",
    "a plan without it, which the surviving agents follow in that rebalance (docs/partition-assignment.md).",
    "",
  ].join("\n");
}

main().catch((error) => {
  process.stderr.write(`bench failover: ${(error as Error).message}\n`);
  process.exit(1);
});
