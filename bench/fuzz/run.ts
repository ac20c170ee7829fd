/**
 * Frame fuzzing at volume: FUZZ_COUNT (default 10 000) seeded cases of testing/frame-fuzz.ts (random bytes,
 * truncated, flipped and oversized JPEGs, decompression bombs, wrong sizes and formats, missing / duplicate /
 * oversized / invalid / thousands of headers, wrong keys, empty values; valid frames interleaved) produced to
 * facefleet.frames of a broker of its own (ports 25200/25201) and processed by a real `facefleet agent`
 * process. Counts outcomes by case kind and DLQ reason, frames/s, the agent's RSS before / peak / after,
 * crashes, stalls and cases whose outcome was not the expected one. Writes bench/results/fuzz.json and
 * fuzz.md; exits 1 when the agent crashed or stalled, a case was missed or had the wrong outcome.
 *
 *   npm run bench:fuzz                       (FUZZ_SEED=N, FUZZ_COUNT=N to change the run)
 */
import { writeFileAtomic } from "../../core/atomic-write.js";
import { type FrameFuzzReport, runFrameFuzz } from "../../testing/frame-fuzz-run.js";
import { useTestModels } from "../../testing/paths.js";
import { machineDescription } from "../support/machine.js";

const say = (line: string) => process.stdout.write(`${line}\n`);

function renderReport(r: FrameFuzzReport & { machine: ReturnType<typeof machineDescription>; date: string }): string {
  const kinds = Object.entries(r.byKind)
    .map(([kind, k]) => `| ${kind} | ${k.cases} | ${k.detections} | ${k.dlq} |`)
    .join("\n");
  const stages = Object.entries(r.dlqByStage)
    .map(([stage, n]) => `| ${stage} | ${n} |`)
    .join("\n");
  const reasons = r.dlqByReason
    .slice(0, 40)
    .map(({ reason, count }) => `| ${count} | ${reason.replace(/\|/g, "\\|")} |`)
    .join("\n");
  return `# Frame fuzzing (\`npm run bench:fuzz\`)

${r.cases} seeded cases (seed ${r.seed}, testing/frame-fuzz.ts) produced to facefleet.frames of a real broker and
processed by one real \`facefleet agent\` process (one partition, CPU, fp32, one thread; worker.maxFrameBytes 200 000).
Run on ${r.date}: ${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}.

| figure | value |
| --- | --- |
| cases | ${r.cases} |
| crashes | ${r.crashed ? 1 : 0} |
| stalls | ${r.stalled ? 1 : 0} |
| cases without an outcome | ${r.missing.length} |
| cases with the wrong outcome | ${r.mismatches.length} |
| duplicate outcomes | ${r.duplicates} |
| valid frames detected | ${r.valid.detected} / ${r.valid.cases} |
| frames/s (all outcomes, produce to last outcome) | ${r.framesPerSecond} |
| duration | ${Math.round(r.durationMs / 1000)} s |
| agent RSS before / peak / after | ${r.rssMb.before} / ${r.rssMb.peak} / ${r.rssMb.after} MB |
| agent log lines | ${r.agentLogLines} |
| most \`frame.*\` headers copied into one DLQ record | ${r.maxDlqFrameHeaders} |

## Outcomes by case kind

| kind | cases | detections | DLQ |
| --- | --- | --- | --- |
${kinds}

## DLQ records by stage

| stage | records |
| --- | --- |
${stages}

## DLQ reasons (numbers and quoted values blanked)

| records | reason |
| --- | --- |
${reasons}
`;
}

async function main(): Promise<void> {
  useTestModels();
  const seed = Number(process.env.FUZZ_SEED ?? 14);
  const count = Number(process.env.FUZZ_COUNT ?? 10_000);
  say(`frame fuzz: seed ${seed}, ${count} cases`);
  const report = await runFrameFuzz({ seed, count, port: 25200, say });
  const result = { ...report, machine: machineDescription(), date: new Date().toISOString().slice(0, 10) };
  await writeFileAtomic("bench/results/fuzz.json", `${JSON.stringify({ ...result, agentLogTail: undefined }, null, 2)}\n`);
  await writeFileAtomic("bench/results/fuzz.md", renderReport(result));
  say(
    `${report.cases} cases, ${report.framesPerSecond} frames/s, crashed ${report.crashed}, stalled ${report.stalled}, ` +
      `missing ${report.missing.length}, wrong ${report.mismatches.length}, RSS ${report.rssMb.before}/${report.rssMb.peak}/${report.rssMb.after} MB`,
  );
  for (const m of report.mismatches.slice(0, 20))
    say(`  case ${m.index} (${m.kind}): expected ${JSON.stringify(m.expected)}, got ${m.got}`);
  if (report.crashed || report.stalled || report.missing.length > 0 || report.mismatches.length > 0) {
    say(report.agentLogTail);
    process.exitCode = 1;
  }
}

main().catch((error) => {
  process.stderr.write(`bench:fuzz: ${(error as Error).message}\n`);
  process.exitCode = 1;
});
