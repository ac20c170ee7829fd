/**
 * Faults on one running fleet (testing/fault-fleet.ts): Kafka from the jars (ports 32000/32001), `facefleet
 * coordinator` with its embedded MQTT broker (32010, API 32011), two `facefleet agent` processes following the
 * plan, each behind TCP proxies of its own to Kafka and MQTT (32020-32023), frames from 4 cameras (one partition
 * each) every 400 ms. One after another: an agent frozen (SIGSTOP/SIGCONT), cut from Kafka only, cut from MQTT
 * only, the broker hung (SIGSTOP), the coordinator SIGKILLed with its MQTT broker and restarted, the agent's clock
 * 5 minutes ahead and behind with the stale-frame rule on. For each: frames produced in the window, none without a
 * detection at the end, duplicates counted, the time until every partition is processed again and the fleet is
 * back (every agent online with the partitions the plan gives it). Figures: bench/results/faults.md.
 * (Agent SIGKILL and broker restart: test/coordinator/fleet.test.ts, test/agent/broker-restart.test.ts.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { agentFrozen, brokerHung, clockSkewed, coordinatorKilled, type Fault, kafkaCut, mqttCut } from "../../testing/fault-catalogue.js";
import { FaultFleet, type FaultMeasure } from "../../testing/fault-fleet.js";
import { useTestModels } from "../../testing/paths.js";

useTestModels();

test("faults on a running fleet: frozen agent, agent cut from Kafka / MQTT, hung broker, coordinator killed, clock skew — nothing lost", {
  timeout: 480_000,
}, async (t) => {
  const fleet = await FaultFleet.start({ basePort: 32000, agents: ["agent-a", "agent-b"], partitions: 4, intervalMs: 400 });
  let passed = false;
  t.after(async () => {
    if (!passed) process.stderr.write(`${fleet.dump(80)}\n`);
    await fleet.stop();
  });
  const faults: Fault[] = [
    agentFrozen("agent-b", 6000),
    kafkaCut("agent-b", 6000),
    mqttCut("agent-b", 6000),
    // A hung broker longer than every session timeout: the broker's own group sessions run out while it is stopped.
    brokerHung(8000),
    coordinatorKilled(1000),
    clockSkewed("agent-b", 5 * 60_000, 30_000, 4000),
    clockSkewed("agent-b", -5 * 60_000, 30_000, 4000),
  ];
  const results: FaultMeasure[] = [];
  for (const fault of faults) {
    if (fault.agent) await fleet.giveWork(fault.agent);
    const m = await fleet.measure(fault.name, () => fault.inject(fleet));
    results.push(m);
    t.diagnostic(
      `${m.fault}: ${m.produced} frames, ${m.lost} lost, ${m.duplicated} duplicated, every partition processed ${m.processedMs} ms after, fleet restored ${m.restoredMs} ms after (${m.note})`,
    );
  }
  const total = await fleet.finish();
  t.diagnostic(`whole run: ${total.produced} frames, ${total.lost} lost, ${total.duplicated} duplicated`);
  for (const m of results) assert.equal(m.lost, 0, `${m.fault}: ${m.lost} of ${m.produced} frames without a detection`);
  assert.equal(total.lost, 0, `${total.lost} of ${total.produced} frames without a detection`);
  passed = true;
});
