/**
 * The coordinator with a real fleet: Kafka from the jars (ports 20192/20193), `facefleet coordinator`
 * with its embedded MQTT broker, three `facefleet agent` processes following the plan, frames flowing on
 * 12 partitions. SIGKILL one agent → its partitions are processed by the others; a fourth joins → it
 * gets work; drain one → it ends with no partitions; the coordinator SIGKILLed → frames keep being
 * processed on the last plan; the coordinator back → the plan is not changed. Every frame produced has
 * a detection at the end (nothing lost).
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { partitionsOf } from "../../protocol/plan.js";
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

useTestModels();
const PARTITIONS = 12;

test("coordinator + 3 agent processes: failover, a new agent, drain, coordinator down and back, nothing lost", {
  timeout: 420_000,
}, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-fleet-"));
  const broker = await startBroker(20192);
  const processes: FleetProcess[] = [];
  let passed = false;
  let flow: FrameFlow | undefined;
  let ledger: DetectionLedger | undefined;
  t.after(async () => {
    if (!passed) process.stderr.write(`${processes.map((p) => p.dump(80)).join("\n")}\n`);
    await flow?.stop().catch(() => undefined);
    await Promise.all(processes.map((p) => p.stop(5000)));
    await ledger?.stop();
    await broker.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  await createTopics(broker.kafka, PARTITIONS);
  await createPlanTopic(broker.kafka);

  const ports: FleetPorts = { bootstrap: broker.bootstrap, mqttPort: 18841, httpPort: 18851 };
  const coordinatorConfig = writeCoordinatorConfig(dir, ports);
  const api = new CoordinatorApi(`http://127.0.0.1:${ports.httpPort}`);
  const startCoordinator = () => {
    const p = new FleetProcess("coordinator", ["coordinator", "--config", coordinatorConfig]);
    processes.push(p);
    return p;
  };
  const agents = new Map<string, FleetProcess>();
  const startAgent = (id: string) => {
    const p = new FleetProcess(id, ["agent", "--config", writeAgentConfig(dir, id, ports)]);
    processes.push(p);
    agents.set(id, p);
    return p;
  };
  const dump = () => processes.map((p) => p.dump()).join("\n");
  const check = (what: string, predicate: () => boolean | Promise<boolean>, timeoutMs = 60_000) =>
    waitForAsync(what, predicate, timeoutMs).catch((error) => {
      throw new Error(`${(error as Error).message}\n${dump()}`);
    });
  /** Each agent's health lists exactly the partitions the plan gives it. */
  const fleetFollowsPlan = async (ids: string[]) => {
    const [view, list] = await Promise.all([api.plan(), api.agents()]);
    if (!view.plan) return false;
    const plan = view.plan;
    return ids.every((id) => {
      const agent = list.find((a) => a.id === id);
      const held = (agent?.health?.partitions ?? []).map((p) => p.partition).sort((a, b) => a - b);
      return agent?.online === true && held.join(",") === partitionsOf(plan, id).join(",");
    });
  };

  let coordinator = startCoordinator();
  await check("the coordinator's API", () => api.reachable(), 30_000);
  // The API refuses without the token.
  assert.equal((await api.request("GET", "/api/agents", undefined, null)).status, 401);

  for (const id of ["agent-a", "agent-b", "agent-c"]) startAgent(id);
  await check(
    "a plan over the three agents, obeyed",
    async () => {
      const view = await api.plan();
      const owners = new Set(Object.values(view.plan?.owners ?? {}));
      return owners.size === 3 && (await fleetFollowsPlan(["agent-a", "agent-b", "agent-c"]));
    },
    120_000,
  );

  ledger = await DetectionLedger.start(broker.kafka);
  flow = await FrameFlow.start(broker.kafka, PARTITIONS, 700);
  const running = flow;
  const liveLedger = ledger;
  await check("frames flowing on every partition", () => {
    const done = new Set(liveLedger.all().map((d) => d.partition));
    return done.size === PARTITIONS;
  });

  await check("agents report a lag per owned partition", async () =>
    (await api.agents()).some((a) => (a.health?.partitions ?? []).some((p) => p.lag !== null)),
  );

  // 1. SIGKILL agent-c: its partitions are processed by the others.
  const before = (await api.plan()).plan;
  assert.ok(before);
  const orphans = partitionsOf(before, "agent-c");
  assert.ok(orphans.length > 0, "agent-c owned partitions");
  const killedAt = Date.now();
  await agents.get("agent-c")?.kill("SIGKILL");
  await check(
    "agent-c's partitions processed elsewhere",
    () => orphans.every((p) => liveLedger.all().some((d) => d.partition === p && d.agent !== "agent-c" && d.captureTime >= killedAt)),
    60_000,
  );
  const failoverMs =
    Math.max(
      ...orphans.map((p) =>
        Math.min(
          ...liveLedger
            .all()
            .filter((d) => d.partition === p && d.agent !== "agent-c" && d.captureTime >= killedAt)
            .map((d) => d.doneTime),
        ),
      ),
    ) - killedAt;
  await check("a plan without agent-c", async () => {
    const plan = (await api.plan()).plan;
    return plan !== null && partitionsOf(plan, "agent-c").length === 0 && Object.keys(plan.owners).length === PARTITIONS;
  });
  const agentC = (await api.agents()).find((a) => a.id === "agent-c");
  assert.equal(agentC?.online, false, "agent-c shows offline");

  // 2. A fourth agent joins and gets work.
  startAgent("agent-d");
  await check(
    "agent-d owns partitions and processes frames",
    async () => {
      const plan = (await api.plan()).plan;
      const mine = plan ? partitionsOf(plan, "agent-d") : [];
      return mine.length > 0 && liveLedger.all().some((d) => d.agent === "agent-d");
    },
    120_000,
  );
  await check("the fleet follows the plan with agent-d", () => fleetFollowsPlan(["agent-a", "agent-b", "agent-d"]), 60_000);

  // 3. Drain agent-a through the API: it ends with no partitions; the others take them.
  const drained = await api.request("POST", "/api/agents/agent-a/drain");
  assert.equal(drained.status, 200, JSON.stringify(drained.json));
  const drainPlan = (drained.json as { plan: { owners: Record<string, string>; drained: string[] } }).plan;
  assert.deepEqual(partitionsOf(drainPlan, "agent-a"), []);
  assert.ok(drainPlan.drained.includes("agent-a"));
  const drainedAt = Date.now();
  await check("agent-a holds nothing and reports drained", async () => {
    const a = (await api.agents()).find((x) => x.id === "agent-a");
    return a?.health?.drained === true && a.health.partitions.length === 0 && (await fleetFollowsPlan(["agent-b", "agent-d"]));
  });
  await new Promise((r) => setTimeout(r, 2000));
  const lateA = liveLedger.all().filter((d) => d.agent === "agent-a" && d.doneTime > Date.now() - 1500);
  assert.equal(lateA.length, 0, "a drained agent processes nothing");
  assert.ok(drainedAt > 0);

  // 4. The coordinator is SIGKILLed: frames keep being processed on the last plan.
  const planBeforeKill = (await api.plan()).plan;
  assert.ok(planBeforeKill);
  await coordinator.kill("SIGKILL");
  const coordinatorDownAt = Date.now();
  // The coordinator stays down until every partition has a frame captured after the kill processed (the
  // agents work on the last plan without it). How long that takes depends on the backlog the drain left
  // on two agents of a loaded 2-core machine, so it is waited for (and reported), not given a fixed window.
  const processedSinceKill = () =>
    new Set(
      liveLedger
        .all()
        .filter((d) => d.captureTime >= coordinatorDownAt)
        .map((d) => d.partition),
    );
  await check("every partition processed while the coordinator is down", () => processedSinceKill().size === PARTITIONS, 60_000);
  const allProcessedWhileDownMs = Date.now() - coordinatorDownAt;
  await new Promise((r) => setTimeout(r, 2000));
  const whileDown = liveLedger.all().filter((d) => d.captureTime >= coordinatorDownAt);
  for (const d of whileDown)
    assert.equal(d.agent, planBeforeKill.owners[String(d.partition)], `partition ${d.partition} stays on its owner`);

  // 5. The coordinator comes back: it reads the plan and the state back and changes nothing.
  coordinator = startCoordinator();
  await check("the coordinator's API again", () => api.reachable(), 30_000);
  await check("the restarted coordinator sees the fleet", async () => {
    const list = await api.agents();
    return ["agent-b", "agent-d", "agent-a"].every((id) => list.find((a) => a.id === id)?.online === true);
  });
  // Its first decision (after the owners reported) keeps the plan as it was: same version, same owners.
  // Later load-driven moves are the planner's normal work and may come at any time, restart or not.
  const restartedAt = coordinator.lines[0]?.at ?? 0;
  await check(
    "the restarted coordinator's first plan decision",
    () => coordinator.find(/coordinator started/, restartedAt) !== undefined,
    30_000,
  );
  const decision = coordinator.find(/coordinator started/, restartedAt)?.line ?? "";
  assert.match(decision, new RegExp(`plan v${planBeforeKill.version} kept \\(coordinator started\\)`), decision);
  const planAfter = (await api.plan()).plan;
  assert.ok(planAfter && planAfter.version >= planBeforeKill.version);
  const changedAfter = coordinator.lines.filter((l) => /plan v\d+ published/.test(l.line));
  for (const l of changedAfter) assert.match(l.line, /published: load; load imbalance/, `only load moves after the restart: ${l.line}`);
  if (changedAfter.length === 0) assert.deepEqual(planAfter.owners, planBeforeKill.owners);
  assert.deepEqual(planAfter.drained, ["agent-a"], "the drain survives the restart");
  assert.deepEqual(partitionsOf(planAfter, "agent-a"), []);

  // 6. Undrain: agent-a gets work again (at the next load replan it may; at least it is eligible).
  const undrained = await api.request("POST", "/api/agents/agent-a/undrain");
  assert.equal(undrained.status, 200, JSON.stringify(undrained.json));
  assert.deepEqual((undrained.json as { plan: { drained: string[] } }).plan.drained, []);

  // Nothing lost: every frame produced has a detection.
  await running.stop();
  await check("every produced frame detected", () => liveLedger.missing(running.produced).length === 0, 90_000);
  passed = true;
  t.diagnostic(
    `frames ${running.produced.length}, detections ${liveLedger.all().length}, duplicates ${liveLedger.duplicates()}, failover ${failoverMs} ms, every partition processed ${allProcessedWhileDownMs} ms after the coordinator's kill`,
  );
});
