/** pipeline.md and pipeline-latency.svg from the results of bench/pipeline/run.ts. */
import { renderLineChart } from "./svg-chart.js";
import type { PipelineResults, RunResult } from "./types.js";

const COLORS = ["#1f6fb4", "#e0701a", "#2a9d3a", "#8e44ad"];

const num = (n: number | null | undefined, digits = 0) => (n === null || n === undefined ? "—" : n.toFixed(digits));
const list = (values: (number | null)[], digits = 0) => values.map((v) => num(v, digits)).join(" / ");

/**
 * Keeps up = every measured frame detected (a frame skipped as stale is a miss), at the rate they were
 * sent, and the latency not rising through the window (a growing backlog ends in stale skips).
 */
export function keepsUp(r: RunResult): boolean {
  return (
    r.framesSentInWindow > 0 &&
    r.framesNotDetectedInWindow <= r.framesSentInWindow * 0.01 &&
    r.detectedFps >= r.sentFps * 0.95 &&
    (r.latencyTrendMs ?? 0) < 200
  );
}

export function goalMet(results: PipelineResults, r: RunResult): boolean {
  return keepsUp(r) && r.latencyMs.p95 !== null && r.latencyMs.p95 <= results.goal.p95Ms;
}

const agentsLabel = (agents: number) => `${agents} agent${agents === 1 ? "" : "s"}`;
const inFlightLabel = (framesInFlight: number) => `${framesInFlight} frame${framesInFlight === 1 ? "" : "s"} in flight`;
const distinct = (values: number[]) => [...new Set(values)].sort((a, b) => a - b);

function goalSentence(results: PipelineResults): string {
  const g = results.goal;
  const rows = results.runs.filter((r) => r.cameras === g.cameras);
  if (rows.length === 0) return `The goal (${g.cameras} cameras × ${g.fps} fps, p95 ≤ ${g.p95Ms} ms) was not measured in this run.`;
  const perAgents = distinct(rows.map((r) => r.agents)).map((agents) => {
    const mine = rows.filter((r) => r.agents === agents).sort((a, b) => a.framesInFlight - b.framesInFlight);
    const parts = mine.map((r) => {
      const missed =
        r.framesNotDetectedInWindow > 0
          ? `, ${r.framesNotDetectedInWindow} of ${r.framesSentInWindow} measured frames without a detection`
          : "";
      return `${inFlightLabel(r.framesInFlight)} p95 ${num(r.latencyMs.p95)} ms at ${num(r.detectedFps, 1)} of ${r.offeredFps} fps detected${missed} — ${goalMet(results, r) ? "**met**" : "**not met**"}`;
    });
    const met = mine.filter((r) => goalMet(results, r)).map((r) => r.framesInFlight);
    return {
      headline: `${met.length > 0 ? "met" : "not met"} with ${agentsLabel(agents)}${met.length > 0 ? ` (${met.map((f) => `${f} in flight`).join(", ")})` : ""}`,
      detail: `${agentsLabel(agents)}: ${parts.join("; ")}`,
    };
  });
  return `**Goal: ${g.cameras} cameras × ${g.fps} fps with p95 ≤ ${g.p95Ms} ms — ${perAgents.map((p) => p.headline).join(", ")} on this machine.** ${perAgents.map((p) => p.detail).join(". ")}.`;
}

const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? "—" : `${(a / b).toFixed(2)}×`);

/** Two frames in flight against one, per agent count, at the goal's camera count and at the most cameras measured. */
function inFlightComparison(results: PipelineResults): string[] {
  const notes: string[] = [];
  const cameraCounts = distinct(results.runs.map((r) => r.cameras));
  const at = [...new Set([results.goal.cameras, cameraCounts[cameraCounts.length - 1] as number])].filter((c) => cameraCounts.includes(c));
  for (const agents of distinct(results.runs.map((r) => r.agents))) {
    const parts: string[] = [];
    for (const cameras of at) {
      const one = results.runs.find((r) => r.agents === agents && r.cameras === cameras && r.framesInFlight === 1);
      const two = results.runs.find((r) => r.agents === agents && r.cameras === cameras && r.framesInFlight === 2);
      if (!one || !two) continue;
      const cpu = (r: RunResult) => r.agentProcesses.map((a) => `${num(a.cpuPercent)}%`).join(" / ");
      parts.push(
        `at ${cameras} cameras detected ${two.detectedFps.toFixed(1)} against ${one.detectedFps.toFixed(1)} fps (${ratio(two.detectedFps, one.detectedFps)}), ` +
          `p95 ${num(two.latencyMs.p95)} against ${num(one.latencyMs.p95)} ms (${ratio(two.latencyMs.p95, one.latencyMs.p95)}), ` +
          `processing p50 ${num(two.processingMs.p50)} against ${num(one.processingMs.p50)} ms, agent CPU ${cpu(two)} against ${cpu(one)}, machine ${two.machineCpuPercent.toFixed(0)}% against ${one.machineCpuPercent.toFixed(0)}%`,
      );
    }
    if (parts.length > 0) notes.push(`Two frames in flight against one, ${agentsLabel(agents)}, same run: ${parts.join("; ")}.`);
  }
  return notes;
}

/** What limits each agent count and frames in flight, from the figures (the agents' and the machine's CPU, frames kept up with). */
function saturationNotes(results: PipelineResults): string[] {
  const cores = results.machine.cores;
  const notes: string[] = [];
  const groups = distinct(results.runs.map((r) => r.agents)).flatMap((agents) =>
    distinct(results.runs.filter((r) => r.agents === agents).map((r) => r.framesInFlight)).map((framesInFlight) => ({
      agents,
      framesInFlight,
    })),
  );
  for (const { agents, framesInFlight } of groups) {
    const rows = results.runs
      .filter((r) => r.agents === agents && r.framesInFlight === framesInFlight)
      .sort((a, b) => a.cameras - b.cameras);
    const ok = rows.filter(keepsUp);
    const firstMiss = rows.find((r) => !keepsUp(r));
    const best = Math.max(...rows.map((r) => r.detectedFps));
    const label = `${agentsLabel(agents)}, ${inFlightLabel(framesInFlight)},`;
    const lastOk = ok[ok.length - 1];
    const atLimit = (r: RunResult) => r.machineCpuPercent >= cores * 100 * 0.85 || r.agentProcesses.some((a) => (a.cpuPercent ?? 0) >= 85);
    const kept = lastOk
      ? `keeps up with up to ${lastOk.cameras} camera(s) (${lastOk.offeredFps} fps; there p95 ${num(lastOk.latencyMs.p95)} ms, ` +
        `agent CPU ${lastOk.agentProcesses.map((a) => `${num(a.cpuPercent)}%`).join(" / ")}, machine ${lastOk.machineCpuPercent.toFixed(0)}% of ${cores * 100}%` +
        `${atLimit(lastOk) ? ": at its limit" : ""})`
      : "keeps up with no configuration";
    if (!firstMiss) {
      notes.push(`${label} ${kept}; at most ${best.toFixed(1)} detections/s measured.`);
      continue;
    }
    const agentCpu = firstMiss.agentProcesses.map((a) => a.cpuPercent ?? 0);
    const why: string[] = [];
    const machineFull = firstMiss.machineCpuPercent >= cores * 100 * 0.85;
    if (machineFull)
      why.push(
        `the machine's ${cores} cores, ${firstMiss.machineCpuPercent.toFixed(0)}% busy of ${cores * 100}% ` +
          `(agents ${agentCpu.map((c) => `${c.toFixed(0)}%`).join(" / ")}, broker ${num(firstMiss.broker.cpuPercent)}%, benchmark driver ${num(firstMiss.driver.cpuPercent)}%)`,
      );
    else if (agentCpu.some((c) => c >= 85))
      why.push(
        `the agent process${agentCpu.length > 1 ? "es" : ""}, ${agentCpu.map((c) => `${c.toFixed(0)}%`).join(" / ")} of one core while the machine has ${(cores * 100 - firstMiss.machineCpuPercent).toFixed(0)}% idle ` +
          (framesInFlight === 1
            ? "(an agent processes one frame at a time, onnxruntime on one thread)"
            : "(two frames in flight: decode and detect on the agent's detect thread, align, embed, track and send on its main thread, one onnxruntime thread each: the slower of the two bounds it)"),
      );
    notes.push(
      `${label} ${kept}; from ${firstMiss.cameras} cameras (${firstMiss.offeredFps} fps offered) it detects ${firstMiss.detectedFps.toFixed(1)} fps ` +
        `(best ${best.toFixed(1)}), frames wait in Kafka (queue p95 ${num(firstMiss.queueMs.p95)} ms; median latency ${num(firstMiss.latencyBySecondP50.find((v) => v !== null))} ms in the window's first second, ${num([...firstMiss.latencyBySecondP50].reverse().find((v) => v !== null))} ms in its last) and ${firstMiss.staleSkippedTotal} are skipped as stale` +
        `${why.length > 0 ? `; saturated: ${why.join("; ")}` : ""}.`,
    );
  }
  return notes;
}

/** The models the agents loaded, from their logs (older results files have none). */
function modelsSentence(results: PipelineResults): string {
  const s = results.settings;
  const seen = [...new Set(results.runs.flatMap((r) => r.agentProcesses.map((a) => a.models).filter((m): m is string => !!m)))];
  if (seen.length === 0) return "";
  return ` Models (recognition.precision ${s.precision ?? "auto"}; from the agents' \`models:\` log line): ${seen.join("; ")}.`;
}

export function renderReport(results: PipelineResults, stem = "pipeline"): string {
  const m = results.machine;
  const s = results.settings;
  const lines: string[] = [];
  lines.push("# End-to-end pipeline: latency and throughput");
  lines.push("");
  lines.push(
    `Generated ${results.generatedAt} by \`${results.command}\` (after \`npm run build\`) on ${m.cpu} (${m.cores} cores, ${m.memoryGiB} GiB), ${m.os}, Node ${m.node}, onnxruntime-node ${m.onnxruntime}, sharp ${m.sharp}; ${results.durationS} s in all.`,
  );
  lines.push("");
  lines.push(
    `Cameras → \`facefleet.frames\` (${s.framePartitions} partitions, one camera per partition) → \`facefleet agent\` processes (one consumer group) → \`facefleet.detections\`, ` +
      `everything on this machine: the broker (${s.broker}), the agents, and the benchmark process that plays the cameras and reads the detections. ` +
      `Each camera sends ${s.frames} at ${s.fpsPerCamera} fps; ${s.warmupS} s of warm-up are not counted, then ${s.measureS} s are measured. Agents: ${s.agentConfig}.${modelsSentence(results)} Gallery: ${s.gallery}.`,
  );
  lines.push("");
  lines.push(
    "Latency = the Kafka timestamp of a frame's detection record (set by the agent's producer) − the frame's capture time (its `capture-time` header, the moment the camera sent it), over the frames captured in the measured window that got a detection. " +
      "Detected fps = detection records produced in the window per second. Stale = frames the agents skipped because they were older than `worker.maxFrameAgeMs` (5000 ms, the default) when their turn came (warm-up and drain included); they have no detection and no latency. " +
      "CPU = user+system seconds / wall seconds over the measured window, per process, in % of one core; peak RSS = VmHWM. " +
      `The machine is shared: before each configuration the benchmark waits (up to ${results.quietWaitS ?? 90} s) for 3 quiet seconds, and measures a configuration again (up to ${results.attemptsAllowed ?? 3} attempts) when programs other than its own took more than ${results.otherCpuLimitPercent}% of a core during the window.`,
  );
  lines.push("");
  if (results.note) {
    lines.push(`Note: ${results.note}`);
    lines.push("");
  }
  lines.push(goalSentence(results));
  lines.push("");
  lines.push(
    "| agents | cameras | in flight | offered fps | detected fps | frames detected | p50 ms | p95 ms | p99 ms | skipped as stale | CPU % per agent | peak RSS MiB per agent |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of results.runs) {
    lines.push(
      `| ${r.agents} | ${r.cameras} | ${r.framesInFlight} | ${r.offeredFps} | ${r.detectedFps.toFixed(1)} | ${r.framesDetectedInWindow} / ${r.framesSentInWindow} | ${num(r.latencyMs.p50)} | ${num(r.latencyMs.p95)} | ${num(r.latencyMs.p99)} | ${r.staleSkippedTotal} | ${list(r.agentProcesses.map((a) => a.cpuPercent))} | ${list(r.agentProcesses.map((a) => a.peakRssMiB))} |`,
    );
  }
  lines.push("");
  lines.push(`![p95 and p50 latency against cameras, one line per agent count and frames in flight](${stem}-latency.svg)`);
  lines.push("");
  lines.push("## What saturates");
  lines.push("");
  for (const n of saturationNotes(results)) lines.push(`- ${n}`);
  for (const n of inFlightComparison(results)) lines.push(`- ${n}`);
  lines.push("");
  lines.push("## Where the time goes, and the rest of the machine");
  lines.push("");
  lines.push(
    "`queue` = start of processing − capture time (the frame waits in the producer, the broker and the agent's fetch); `processing` = decode → detect → align → embed → match → track → annotate in the agent (the detection's own `timingsMs`). `received` = capture → this process's consumer got the detection. `latency trend` = median latency of the window's last 3 seconds − its first 3 (rising = a growing backlog).",
  );
  lines.push("");
  lines.push(
    "| agents | cameras | in flight | queue p50 / p95 ms | processing p50 / p95 ms | received p95 ms | latency trend ms | faces per frame | detections per agent | broker CPU % | driver CPU % | machine CPU % (of 200) | other programs CPU % | broker peak RSS MiB | rebalances in window |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of results.runs) {
    lines.push(
      `| ${r.agents} | ${r.cameras} | ${r.framesInFlight} | ${num(r.queueMs.p50)} / ${num(r.queueMs.p95)} | ${num(r.processingMs.p50)} / ${num(r.processingMs.p95)} | ${num(r.receivedLatencyMs.p95)} | ${r.latencyTrendMs === null ? "—" : `${r.latencyTrendMs > 0 ? "+" : ""}${r.latencyTrendMs}`} | ${num(r.facesPerFrame, 2)} | ${r.agentProcesses.map((a) => a.detectionsInWindow).join(" / ")} | ${num(r.broker.cpuPercent)} | ${num(r.driver.cpuPercent)} | ${r.machineCpuPercent.toFixed(0)} | ${r.otherCpuPercent.toFixed(0)} | ${num(r.broker.peakRssMiB)} | ${r.rebalancesInWindow} |`,
    );
  }
  lines.push("");
  const oddities: string[] = [];
  for (const r of results.runs) {
    const tag = `${r.agents} agent(s) × ${r.cameras} camera(s), ${r.framesInFlight} in flight`;
    if (r.duplicateDetections > 0) oddities.push(`${tag}: ${r.duplicateDetections} duplicate detection(s) (same camera and seq).`);
    if (r.droppedAtCapture > 0 || r.sendErrors > 0)
      oddities.push(`${tag}: ${r.droppedAtCapture} frame(s) dropped at capture, ${r.sendErrors} send error(s).`);
    if (r.lateTicks > 0)
      oddities.push(`${tag}: the camera timers missed ${r.lateTicks} tick(s) (the driver was late by more than a frame interval).`);
    if (!r.drained) oddities.push(`${tag}: the agents had not committed to the end of the topic within 45 s after the cameras stopped.`);
    if (r.attempt > 1)
      oddities.push(
        `${tag}: measured ${r.attempt} times; earlier attempts were discarded because other programs used more than ${results.otherCpuLimitPercent}% CPU (in pipeline.json).`,
      );
    if (r.otherCpuPercent > results.otherCpuLimitPercent)
      oddities.push(
        `${tag}: other programs used ${r.otherCpuPercent.toFixed(0)}% CPU during the window even on the last attempt: its figures are pessimistic.`,
      );
    if (r.rebalancesInWindow > 0) oddities.push(`${tag}: ${r.rebalancesInWindow} group rebalance(s) inside the measured window.`);
    for (const a of r.agentProcesses) {
      if (a.exitCode !== 0) oddities.push(`${tag}: agent ${a.id} exited with ${a.exitCode} on SIGTERM.`);
      if ((a.dlq ?? 0) > 0) oddities.push(`${tag}: agent ${a.id} sent ${a.dlq} frame(s) to the DLQ.`);
      if (a.consumerCrashes > 0) oddities.push(`${tag}: agent ${a.id}'s consumer crashed ${a.consumerCrashes} time(s).`);
      if (a.framesInFlightReported !== undefined && a.framesInFlightReported !== null && a.framesInFlightReported !== r.framesInFlight)
        oddities.push(`${tag}: agent ${a.id} ran with ${a.framesInFlightReported} frame(s) in flight (its log), not ${r.framesInFlight}.`);
    }
  }
  lines.push(
    "Checks: every configuration's agents were waited for until the consumer group was Stable and their partitions covered the topic, and were stopped with SIGTERM after the drain; " +
      (oddities.length === 0
        ? "no duplicate detection, no frame dropped at capture, no DLQ record, no rebalance inside a measured window, every agent exited 0 and ran with the frames in flight it was given."
        : "notes:"),
  );
  for (const o of oddities) lines.push(`- ${o}`);
  lines.push("");
  lines.push(`All figures in bench/results/${stem}.json.`);
  return `${lines.join("\n")}\n`;
}

export function renderSvg(results: PipelineResults): string {
  const cameraTicks = distinct(results.runs.map((r) => r.cameras));
  const groups = distinct(results.runs.map((r) => r.agents)).flatMap((agents) =>
    distinct(results.runs.filter((r) => r.agents === agents).map((r) => r.framesInFlight)).map((framesInFlight) => ({
      agents,
      framesInFlight,
    })),
  );
  const series = groups.flatMap(({ agents, framesInFlight }, i) => {
    const rows = results.runs
      .filter((r) => r.agents === agents && r.framesInFlight === framesInFlight)
      .sort((a, b) => a.cameras - b.cameras);
    const color = COLORS[i % COLORS.length] as string;
    const label = `${agentsLabel(agents)}, ${framesInFlight} in flight`;
    return [
      { label: `${label}, p95`, color, points: rows.map((r) => ({ x: r.cameras, y: r.latencyMs.p95 ?? Number.NaN })) },
      { label: `${label}, p50`, color, dashed: true, points: rows.map((r) => ({ x: r.cameras, y: r.latencyMs.p50 ?? Number.NaN })) },
    ];
  });
  const m = results.machine;
  return renderLineChart({
    title: "facefleet end-to-end latency: capture → detection",
    subtitle: `${results.settings.fpsPerCamera} fps per camera${results.settings.precision ? `, precision ${results.settings.precision}` : ""}, ${m.cores}-core ${m.cpu.replace(/\s+/g, " ")}, ${results.generatedAt.slice(0, 10)}`,
    xLabel: `cameras (× ${results.settings.fpsPerCamera} fps)`,
    yLabel: "latency, ms",
    xTicks: cameraTicks,
    xScale: "log2",
    width: 820,
    legendWidth: 230, // "2 agents, 2 in flight, p95"
    yScale: "log",
    series,
    references: [
      { y: results.goal.p95Ms, label: `goal: p95 ≤ ${results.goal.p95Ms} ms`, color: "#c0392b" },
      { y: 5000, label: "stale limit: 5 s", color: "#777777" },
    ],
  });
}
