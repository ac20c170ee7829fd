/**
 * The frame fuzzer (testing/frame-fuzz.ts) at test size: 300 seeded cases of bad frames and headers, valid
 * frames interleaved, through a real broker and a real `facefleet agent` process (testing/frame-fuzz-run.ts).
 * The agent neither crashes nor stalls; every case has exactly its expected outcome (every invalid one a DLQ
 * record with a reason and the stage its kind names, every valid one a detection with its face); the agent's
 * log stays short (DLQ lines are rate-limited) and its memory bounded. `npm run bench:fuzz` runs 10 000.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { runFrameFuzz } from "../../testing/frame-fuzz-run.js";
import { useTestModels } from "../../testing/paths.js";

useTestModels();

const SEED = Number(process.env.FUZZ_SEED ?? 1);

test(`frame fuzz: 300 cases of seed ${SEED} through a real agent`, { timeout: 420_000 }, async () => {
  const report = await runFrameFuzz({ seed: SEED, count: 300, port: 25300 });
  const detail = () => `${JSON.stringify({ ...report, agentLogTail: undefined }).slice(0, 4000)}\n${report.agentLogTail}`;
  assert.equal(report.crashed, false, `the agent exited (${report.agentExit})\n${detail()}`);
  assert.equal(report.stalled, false, `the agent stalled\n${detail()}`);
  assert.deepEqual(report.missing, [], detail());
  assert.deepEqual(report.mismatches, [], detail());
  assert.equal(report.duplicates, 0, detail());
  assert.equal(report.valid.detected, report.valid.cases);
  assert.ok(report.valid.cases >= 20, `only ${report.valid.cases} valid frames`);
  for (const stage of ["headers", "decode", "size"]) assert.ok((report.dlqByStage[stage] ?? 0) > 0, `no DLQ record of stage ${stage}`);
  assert.ok(report.maxDlqFrameHeaders <= 32);
  // One DLQ line a second at most, whatever the flood (plus the start-up lines).
  assert.ok(report.agentLogLines < 40 + report.durationMs / 1000, `${report.agentLogLines} log lines\n${report.agentLogTail}`);
  // No picture decoded beyond the limits: a 81 MP PNG alone added 300 MB before the picture check.
  assert.ok(report.rssMb.peak - report.rssMb.before < 250, `RSS ${JSON.stringify(report.rssMb)}`);
});
