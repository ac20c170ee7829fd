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

function goalSentence(results: PipelineResults): string {
  const g = results.goal;
  const rows = results.runs.filter((r) => r.cameras === g.cameras);
  if (rows.length === 0) return `The goal (${g.cameras} cameras × ${g.fps} fps, p95 ≤ ${g.p95Ms} ms) was not measured in this run.`;
  const parts = rows.map((r) => {
    const missed =
      r.framesNotDetectedInWindow > 0
        ? `, ${r.framesNotDetectedInWindow} of ${r.framesSentInWindow} measured frames without a detection`
        : "";
    return `${r.agents} agent${r.agents === 1 ? "" : "s"}: p95 ${num(r.latencyMs.p95)} ms at ${num(r.detectedFps, 1)} of ${r.offeredFps} fps detected${missed} — ${goalMet(results, r) ? "**met**" : "**not met**"}`;
  });
  const any = rows.some((r) => goalMet(results, r));
  return `**Goal: ${g.cameras} cameras × ${g.fps} fps with p95 ≤ ${g.p95Ms} ms — ${any ? "met" : "not met"} on this machine.** ${parts.join("; ")}.`;
}

/** What limits each agent count, from the figures (the agents' and the machine's CPU, frames kept up with). */
function saturationNotes(results: PipelineResults): string[] {
  const cores = results.machine.cores;
  const notes: string[] = [];
  for (const agents of [...new Set(results.runs.map((r) => r.agents))]) {
    const rows = results.runs.filter((r) => r.agents === agents).sort((a, b) => a.cameras - b.cameras);
    const ok = rows.filter(keepsUp);
    const firstMiss = rows.find((r) => !keepsUp(r));
    const best = Math.max(...rows.map((r) => r.detectedFps));
    const label = `${agents} agent${agents === 1 ? "" : "s"}`;
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
          "(an agent processes one frame at a time, onnxruntime on one thread)",
      );
    notes.push(
      `${label} ${kept}; from ${firstMiss.cameras} cameras (${firstMiss.offeredFps} fps offered) it detects ${firstMiss.detectedFps.toFixed(1)} fps ` +
        `(best ${best.toFixed(1)}), frames wait in Kafka (queue p95 ${num(firstMiss.queueMs.p95)} ms; median latency ${num(firstMiss.latencyBySecondP50.find((v) => v !== null))} ms in the window's first second, ${num([...firstMiss.latencyBySecondP50].reverse().find((v) => v !== null))} ms in its last) and ${firstMiss.staleSkippedTotal} are skipped as stale` +
        `${why.length > 0 ? `; saturated: ${why.join("; ")}` : ""}.`,
    );
  }
  return notes;
}

export function renderReport(results: PipelineResults): string {
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
      `Each camera sends ${s.frames} at ${s.fpsPerCamera} fps; ${s.warmupS} s of warm-up are not counted, then ${s.measureS} s are measured. Agents: ${s.agentConfig}. Gallery: ${s.gallery}.`,
  );
  lines.push("");
  lines.push(
    "Latency = the Kafka timestamp of a frame's detection record (set by the agent's producer) − the frame's capture time (its `capture-time` header, the moment the camera sent it), over the frames captured in the measured window that got a detection. " +
      "Detected fps = detection records produced in the window per second. Stale = frames the agents skipped because they were older than `worker.maxFrameAgeMs` (5000 ms, the default) when their turn came (warm-up and drain included); they have no detection and no latency. " +
      "CPU = user+system seconds / wall seconds over the measured window, per process, in % of one core; peak RSS = VmHWM. " +
      `The machine is shared: before each configuration the benchmark waits (up to 90 s) for 3 quiet seconds, and measures a configuration again (up to 3 attempts) when programs other than its own took more than ${results.otherCpuLimitPercent}% of a core during the window.`,
  );
  lines.push("");
  lines.push(goalSentence(results));
  lines.push("");
  lines.push(
    "| agents | cameras | offered fps | detected fps | frames detected | p50 ms | p95 ms | p99 ms | skipped as stale | CPU % per agent | peak RSS MiB per agent |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of results.runs) {
    lines.push(
      `| ${r.agents} | ${r.cameras} | ${r.offeredFps} | ${r.detectedFps.toFixed(1)} | ${r.framesDetectedInWindow} / ${r.framesSentInWindow} | ${num(r.latencyMs.p50)} | ${num(r.latencyMs.p95)} | ${num(r.latencyMs.p99)} | ${r.staleSkippedTotal} | ${list(r.agentProcesses.map((a) => a.cpuPercent))} | ${list(r.agentProcesses.map((a) => a.peakRssMiB))} |`,
    );
  }
  lines.push("");
  lines.push("![p95 and p50 latency against cameras, one line per agent count](pipeline-latency.svg)");
  lines.push("");
  lines.push("## What saturates");
  lines.push("");
  for (const n of saturationNotes(results)) lines.push(`- ${n}`);
  lines.push("");
  lines.push("## Where the time goes, and the rest of the machine");
  lines.push("");
  lines.push(
    "`queue` = start of processing − capture time (the frame waits in the producer, the broker and the agent's fetch); `processing` = decode → detect → align → embed → match → track → annotate in the agent (the detection's own `timingsMs`). `received` = capture → this process's consumer got the detection. `latency trend` = median latency of the window's last 3 seconds − its first 3 (rising = a growing backlog).",
  );
  lines.push("");
  lines.push(
    "| agents | cameras | queue p50 / p95 ms | processing p50 / p95 ms | received p95 ms | latency trend ms | faces per frame | detections per agent | broker CPU % | driver CPU % | machine CPU % (of 200) | other programs CPU % | broker peak RSS MiB | rebalances in window |",
  );
  lines.push("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
  for (const r of results.runs) {
    lines.push(
      `| ${r.agents} | ${r.cameras} | ${num(r.queueMs.p50)} / ${num(r.queueMs.p95)} | ${num(r.processingMs.p50)} / ${num(r.processingMs.p95)} | ${num(r.receivedLatencyMs.p95)} | ${r.latencyTrendMs === null ? "—" : `${r.latencyTrendMs > 0 ? "+" : ""}${r.latencyTrendMs}`} | ${num(r.facesPerFrame, 2)} | ${r.agentProcesses.map((a) => a.detectionsInWindow).join(" / ")} | ${num(r.broker.cpuPercent)} | ${num(r.driver.cpuPercent)} | ${r.machineCpuPercent.toFixed(0)} | ${r.otherCpuPercent.toFixed(0)} | ${num(r.broker.peakRssMiB)} | ${r.rebalancesInWindow} |`,
    );
  }
  lines.push("");
  const oddities: string[] = [];
  for (const r of results.runs) {
    const tag = `${r.agents} agent(s) × ${r.cameras} camera(s)`;
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
    }
  }
  lines.push(
    "Checks: every configuration's agents were waited for until the consumer group was Stable and their partitions covered the topic, and were stopped with SIGTERM after the drain; " +
      (oddities.length === 0
        ? "no duplicate detection, no frame dropped at capture, no DLQ record, no rebalance inside a measured window, every agent exited 0."
        : "notes:"),
  );
  for (const o of oddities) lines.push(`- ${o}`);
  lines.push("");
  lines.push("All figures in bench/results/pipeline.json.");
  return `${lines.join("\n")}\n`;
}

export function renderSvg(results: PipelineResults): string {
  const agentCounts = [...new Set(results.runs.map((r) => r.agents))].sort((a, b) => a - b);
  const cameraTicks = [...new Set(results.runs.map((r) => r.cameras))].sort((a, b) => a - b);
  const series = agentCounts.flatMap((agents, i) => {
    const rows = results.runs.filter((r) => r.agents === agents).sort((a, b) => a.cameras - b.cameras);
    const color = COLORS[i % COLORS.length] as string;
    const label = `${agents} agent${agents === 1 ? "" : "s"}`;
    return [
      { label: `${label}, p95`, color, points: rows.map((r) => ({ x: r.cameras, y: r.latencyMs.p95 ?? Number.NaN })) },
      { label: `${label}, p50`, color, dashed: true, points: rows.map((r) => ({ x: r.cameras, y: r.latencyMs.p50 ?? Number.NaN })) },
    ];
  });
  const m = results.machine;
  return renderLineChart({
    title: "facefleet end-to-end latency: capture → detection",
    subtitle: `${results.settings.fpsPerCamera} fps per camera, ${m.cores}-core ${m.cpu.replace(/\s+/g, " ")}, ${results.generatedAt.slice(0, 10)}`,
    xLabel: `cameras (× ${results.settings.fpsPerCamera} fps)`,
    yLabel: "latency, ms",
    xTicks: cameraTicks,
    xScale: "log2",
    yScale: "log",
    series,
    references: [
      { y: results.goal.p95Ms, label: `goal: p95 ≤ ${results.goal.p95Ms} ms`, color: "#c0392b" },
      { y: 5000, label: "stale limit: 5 s", color: "#777777" },
    ],
  });
}
