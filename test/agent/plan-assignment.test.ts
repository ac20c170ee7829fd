/**
 * Partition assignment by the coordinator's plan (agent/worker/assignment-plan.ts,
 * docs/partition-assignment.md): the assigner's mapping, then two in-process agents with
 * `worker.assignment: "plan"` on a real broker (ports 20092/20093) — each consumes exactly the
 * partitions the plan gives it; a new plan moving a partition triggers one rebalance (pause
 * measured), nothing is lost; with no new plan (coordinator down) the last plan holds, also across an
 * agent's restart.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import kafkajs, { type Cluster } from "kafkajs";
import { type RunningAgent, startAgent } from "../../agent/agent.js";
import { parseAgentConfig } from "../../agent/config.js";
import { PlanFollower } from "../../agent/plan/plan-follower.js";
import { affectedAgents, decodeMemberData, encodeMemberData, planAssigner, planAssignment } from "../../agent/worker/assignment-plan.js";
import { createKafka } from "../../kafka/client.js";
import { decodePlan, encodePlan, publishPlan } from "../../kafka/plan-topic.js";
import type { Detection } from "../../protocol/detection.js";
import { type PartitionPlan, partitionPlanSchema } from "../../protocol/plan.js";
import { topics } from "../../protocol/topics.js";
import { Collector, createPlanTopic, createTopics, frameHeaders, startBroker, waitFor } from "../../testing/kafka-harness.js";
import { exampleImage, useTestModels } from "../../testing/paths.js";

const { AssignerProtocol, logLevel, Partitioners } = kafkajs;
useTestModels();

function makePlan(version: number, owners: Record<number, string>, reason = "test"): PartitionPlan {
  return partitionPlanSchema.parse({
    schemaVersion: 1,
    version,
    createdAt: Date.now(),
    topic: topics.frames,
    partitionCount: Object.keys(owners).length,
    owners: Object.fromEntries(Object.entries(owners).map(([p, a]) => [p, a])),
    reason,
  });
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const ownersAB = (moveToB: number[] = []) =>
  Object.fromEntries(range(8).map((p) => [p, p < 4 && !moveToB.includes(p) ? "agent-a" : "agent-b"])) as Record<number, string>;
const asObject = (m: Map<string, number[]>) => Object.fromEntries(m);

test("planAssignment: by the plan; owners not in the group and no plan spread deterministically", () => {
  const members = [
    { memberId: "m-b", agentId: "agent-b" },
    { memberId: "m-a", agentId: "agent-a" },
  ];
  assert.deepEqual(asObject(planAssignment(makePlan(1, ownersAB()), members, range(8))), { "m-a": [0, 1, 2, 3], "m-b": [4, 5, 6, 7] });
  assert.deepEqual(asObject(planAssignment(makePlan(2, ownersAB([2])), members, range(8))), { "m-a": [0, 1, 3], "m-b": [2, 4, 5, 6, 7] });

  // agent-c is planned but not a member (dead, or the plan is behind): its partitions go to the least loaded.
  const withDead = makePlan(3, { 0: "agent-a", 1: "agent-c", 2: "agent-c", 3: "agent-b", 4: "agent-c" });
  assert.deepEqual(asObject(planAssignment(withDead, members, range(5))), { "m-a": [0, 1, 4], "m-b": [2, 3] });

  // No plan: a round-robin spread, the same whatever order the members come in.
  const spread = asObject(planAssignment(undefined, members, range(5)));
  assert.deepEqual(spread, { "m-a": [0, 2, 4], "m-b": [1, 3] });
  assert.deepEqual(asObject(planAssignment(undefined, [...members].reverse(), [4, 3, 2, 1, 0])), spread);

  // A partition the plan does not know (the topic grew) and a plan partition that doesn't exist.
  const grown = asObject(planAssignment(makePlan(4, { 0: "agent-a", 1: "agent-b", 9: "agent-a" }), members, range(3)));
  assert.deepEqual(grown, { "m-a": [0, 2], "m-b": [1] });

  // Two members with one agent id: the first by member id gets the plan's share; every partition once.
  const twins = asObject(planAssignment(makePlan(5, ownersAB()), [...members, { memberId: "m-a2", agentId: "agent-a" }], range(8)));
  assert.deepEqual(twins, { "m-a": [0, 1, 2, 3], "m-a2": [], "m-b": [4, 5, 6, 7] });
  assert.deepEqual(asObject(planAssignment(undefined, [], range(3))), {});
});

test("affectedAgents: only the agents whose slice changes", () => {
  const view = {
    partitions: range(8),
    members: [
      { memberId: "m-a", agentId: "agent-a", holds: [0, 1, 2, 3], planVersion: 1 },
      { memberId: "m-b", agentId: "agent-b", holds: [4, 5, 6, 7], planVersion: 1 },
      { memberId: "m-c", agentId: "agent-c", holds: [], planVersion: 1 },
    ],
  };
  assert.deepEqual(affectedAgents(makePlan(1, ownersAB()), view), []);
  assert.deepEqual(affectedAgents(makePlan(2, ownersAB([2])), view), ["agent-a", "agent-b"]);
});

test("the assigner at the leader: userData, the plan, waiting for a newer plan a member has seen", async () => {
  const follower = new PlanFollower();
  follower.offer(makePlan(1, ownersAB()), "test");
  const cluster = { findTopicPartitionMetadata: () => range(8).map((partitionId) => ({ partitionId })) } as unknown as Cluster;
  const notes: number[] = [];
  const assigner = planAssigner({ agentId: "agent-a", plan: follower, leaderWaitMs: 2000, onAssign: (n) => notes.push(n.planVersion) })({
    cluster,
    groupId: "g",
    logger: undefined as never,
  });
  const own = assigner.protocol({ topics: [topics.frames] });
  assert.deepEqual(decodeMemberData("x", own.metadata), { agentId: "agent-a", planVersion: 1 });
  const member = (memberId: string, agentId: string, planVersion: number) => ({
    memberId,
    memberMetadata: AssignerProtocol.MemberMetadata.encode({
      version: 1,
      topics: [topics.frames],
      userData: encodeMemberData({ agentId, planVersion }),
    }),
  });
  const decode = (result: Awaited<ReturnType<typeof assigner.assign>>) =>
    Object.fromEntries(
      result.map((r) => [r.memberId, AssignerProtocol.MemberAssignment.decode(r.memberAssignment)?.assignment[topics.frames] ?? []]),
    );

  assert.deepEqual(
    decode(await assigner.assign({ members: [member("m-a", "agent-a", 1), member("m-b", "agent-b", 1)], topics: [topics.frames] })),
    {
      "m-a": [0, 1, 2, 3],
      "m-b": [4, 5, 6, 7],
    },
  );
  // B has seen version 2 already; the leader's copy arrives 300 ms into the rebalance.
  setTimeout(() => follower.offer(makePlan(2, ownersAB([2])), "test"), 300);
  const started = Date.now();
  const moved = decode(
    await assigner.assign({ members: [member("m-a", "agent-a", 1), member("m-b", "agent-b", 2)], topics: [topics.frames] }),
  );
  assert.deepEqual(moved, { "m-a": [0, 1, 3], "m-b": [2, 4, 5, 6, 7] });
  assert.ok(Date.now() - started < 1500, "waited for the plan, not the whole timeout");
  // A member without our userData (another client) still gets a share: one owner per partition.
  const foreign = decode(
    await assigner.assign({
      members: [member("m-a", "agent-a", 2), { memberId: "m-x", memberMetadata: Buffer.from([]) }],
      topics: [topics.frames],
    }),
  );
  // (its agent id is its member id; the leftovers go to the least loaded, ties in agent id order)
  assert.deepEqual(foreign, { "m-a": [0, 1, 3, 6], "m-x": [2, 4, 5, 7] });
  assert.deepEqual(notes, [1, 2, 2]);

  // Plan records: round trip, garbage rejected with a reason, older versions never replace newer.
  const record = encodePlan(makePlan(7, ownersAB()));
  assert.equal(record.key, "frames");
  assert.equal((decodePlan(record.value) as { ok: true; plan: PartitionPlan }).plan.version, 7);
  assert.equal(decodePlan("{").ok, false);
  assert.match((decodePlan(JSON.stringify({ version: 1 })) as { reason: string }).reason, /schemaVersion/);
  assert.equal(follower.offer(makePlan(1, ownersAB()), "late"), false);
  assert.equal(follower.current()?.version, 2);
  await follower.stop();
});

test("two agents obey the plan; a new plan moves a partition with nothing lost; the last plan holds without a coordinator", {
  timeout: 150_000,
}, async (t) => {
  const broker = await startBroker(20092);
  const agents = new Map<string, RunningAgent>();
  const logs = new Map<string, { at: number; line: string }[]>();
  let detections: Collector | undefined;
  t.after(async () => {
    for (const agent of agents.values()) await agent.stop().catch(() => undefined);
    await detections?.stop();
    await broker.stop();
  });
  await createTopics(broker.kafka, 8);
  // No plan topic: an agent following the plan names it instead of starting.
  await assert.rejects(new PlanFollower().followKafka(broker.kafka, "agent-x"), /plan topic facefleet\.plan does not exist/);
  await createPlanTopic(broker.kafka);
  await publishPlan(broker.kafka, makePlan(1, ownersAB(), "initial"));

  const start = async (agentId: string) => {
    const config = parseAgentConfig({
      agentId,
      kafka: { brokers: [broker.bootstrap] },
      recognition: { executionProvider: "cpu", precision: "fp32", threads: 1 },
      worker: {
        assignment: "plan",
        annotated: false,
        maxFrameAgeMs: 0,
        sessionTimeoutMs: 6000,
        heartbeatIntervalMs: 500,
        maxWaitMs: 200,
        commitIntervalMs: 500,
        statsLogIntervalMs: 0,
      },
    });
    const log = logs.get(agentId) ?? [];
    logs.set(agentId, log);
    const agent = await startAgent(config, {
      log: (line) => log.push({ at: Date.now(), line }),
      kafka: createKafka(config.kafka, logLevel.NOTHING),
    });
    agents.set(agentId, agent);
    return agent;
  };
  const owned = (agentId: string) => agents.get(agentId)?.worker?.stats.ownedPartitions.join(",") ?? "";
  const dump = () => [...logs].map(([id, lines]) => `--- ${id}\n${lines.map((l) => `${l.at % 100_000} ${l.line}`).join("\n")}`).join("\n");
  const check = async (what: string, predicate: () => boolean, timeoutMs = 30_000) =>
    waitFor(what, predicate, timeoutMs).catch((error) => {
      throw new Error(`${(error as Error).message}\n${dump()}`);
    });

  await Promise.all([start("agent-a"), start("agent-b")]);
  await check("the plan's partitions", () => owned("agent-a") === "0,1,2,3" && owned("agent-b") === "4,5,6,7");

  const jpeg = readFileSync(exampleImage("obama_small.jpg"));
  const producer = broker.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  const nextSeq = new Map<number, number>();
  const produced: { partition: number; seq: number; at: number }[] = [];
  /** One frame per partition (camera cam-<p> pinned to partition p). */
  const sendRound = async () => {
    const messages = range(8).map((partition) => {
      const seq = nextSeq.get(partition) ?? 0;
      nextSeq.set(partition, seq + 1);
      produced.push({ partition, seq, at: Date.now() });
      return { key: `cam-${partition}`, partition, value: jpeg, headers: frameHeaders(`cam-${partition}`, seq) };
    });
    await producer.send({ topic: topics.frames, acks: -1, messages });
  };
  detections = await Collector.start(broker.kafka, topics.detections);
  const all = () => detections?.json<Detection>() ?? [];
  const key = (camera: string, seq: number) => `${camera}#${seq}`;
  const detected = () => new Set(all().map((d) => key(d.camera, d.seq)));
  const allDetected = () => produced.every((f) => detected().has(key(`cam-${f.partition}`, f.seq)));

  // 1. Each agent processes exactly its partitions' frames.
  for (let i = 0; i < 2; i++) await sendRound();
  await check("phase 1 detections", allDetected, 60_000);
  for (const d of all()) assert.equal(d.agent, d.partition < 4 ? "agent-a" : "agent-b", `partition ${d.partition} processed by ${d.agent}`);

  // 2. A new plan moves partition 2 to B while frames flow.
  let flowing = true;
  const flow = (async () => {
    while (flowing) {
      await sendRound();
      await new Promise((r) => setTimeout(r, 400));
    }
  })();
  await new Promise((r) => setTimeout(r, 1000));
  const publishedAt = Date.now();
  await publishPlan(broker.kafka, makePlan(2, ownersAB([2]), "move 2 to B"));
  await check("partition 2 moved to B", () => owned("agent-a") === "0,1,3" && owned("agent-b") === "2,4,5,6,7");
  const movedAt = Date.now();
  await new Promise((r) => setTimeout(r, 1500));
  flowing = false;
  await flow;
  await check("phase 2 detections", allDetected, 60_000);

  const rejoins = [...logs].flatMap(([id, lines]) =>
    lines.filter((l) => l.line.startsWith("leaving and rejoining")).map((l) => ({ id, at: l.at })),
  );
  assert.equal(rejoins.length, 1, `one agent rejoined, once:\n${dump()}`);
  const rejoinAt = rejoins[0]?.at ?? 0;
  // Until every agent logged its final slice (a member may first join alone and hold everything).
  const final = { "agent-a": "owns partitions [0,1,3]", "agent-b": "owns partitions [2,4,5,6,7]" } as Record<string, string>;
  const joinedAgain = [...logs].map(
    ([id, lines]) => lines.find((l) => l.at >= rejoinAt && l.line.startsWith(final[id] ?? "?"))?.at ?? Number.NaN,
  );
  const pause = Math.max(...joinedAgain) - rejoinAt;
  const joins = [...logs].flatMap(([id, lines]) =>
    lines
      .filter((l) => l.at >= rejoinAt && l.at <= movedAt && l.line.startsWith("owns"))
      .map((l) => `${id} +${l.at - rejoinAt}ms ${l.line.split(" of ")[0]}`),
  );
  t.diagnostic(`joins after the rejoin: ${joins.join("; ")}`);
  // The gap in the fleet's output around the move: the longest stretch with no detection done.
  const doneTimes = all()
    .map((d) => d.doneTime)
    .filter((at) => at >= publishedAt - 2000 && at <= movedAt + 2000)
    .sort((a, b) => a - b);
  const gap = Math.max(0, ...doneTimes.slice(1).map((at, i) => at - (doneTimes[i] ?? at)));
  t.diagnostic(
    `rebalance: ${rejoins[0]?.id} rejoined ${rejoinAt - publishedAt} ms after the plan was published; pause (leave → all members joined again) ${pause} ms; longest gap between detections ${gap} ms; the move was seen ${movedAt - publishedAt} ms after publishing`,
  );

  const afterMove = all().filter((d) => d.partition === 2 && d.doneTime > movedAt);
  assert.ok(afterMove.length > 0 && afterMove.every((d) => d.agent === "agent-b"), "partition 2's frames go to B after the move");
  const counts = new Map<string, number>();
  for (const d of all()) counts.set(key(d.camera, d.seq), (counts.get(key(d.camera, d.seq)) ?? 0) + 1);
  const duplicates = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
  t.diagnostic(`${produced.length} frames produced, ${counts.size} distinct detections, duplicates: ${duplicates.join(" ") || "none"}`);
  assert.equal(counts.size, produced.length, "every frame has a detection");
  // Duplicates may only be frames of the moved partition that were processed but not yet committed.
  for (const k of duplicates) assert.ok(k.startsWith("cam-2#"), `duplicate ${k} is not of the moved partition`);
  for (const d of all()) if (d.partition !== 2) assert.equal(d.agent, d.partition < 4 ? "agent-a" : "agent-b");

  // 3. The coordinator is down (no new plan): B restarts and reads plan version 2 from the compacted
  // topic; after A's fallback ownership in between, the group ends on plan 2 again.
  await agents.get("agent-b")?.stop();
  agents.delete("agent-b");
  await check("A takes everything while B is away", () => owned("agent-a") === "0,1,2,3,4,5,6,7");
  await sendRound();
  await start("agent-b");
  await check("plan 2 again after B's restart", () => owned("agent-a") === "0,1,3" && owned("agent-b") === "2,4,5,6,7");
  const seenAt = Date.now();
  for (let i = 0; i < 2; i++) await sendRound();
  await check("phase 3 detections", allDetected, 60_000);
  const late = all().filter((d) => d.doneTime > seenAt);
  assert.ok(late.length >= 16);
  for (const d of late) assert.equal(d.agent, d.partition === 2 || d.partition >= 4 ? "agent-b" : "agent-a", `late ${d.camera}#${d.seq}`);
  await producer.disconnect();
});
