/**
 * `facefleet kafka up | down | status` against a real broker, and the proof that kafkajs 2.2.4
 * works with the Kafka version kafka/pom.xml pins: topic creation, keyed produce, a consumer
 * group with a short session timeout, offset commits and offset fetches.
 *
 * Jars: $FACEFLEET_KAFKA_JARS if set (shared between tests), else .facefleet/kafka/jars.
 * The first run resolves them with Maven (slow once; ~/.m2 caches them).
 */
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";
import kafkajs from "kafkajs";
import { kafkaCommand, STATUS_NOT_RUNNING } from "../../cli/commands/kafka.js";
import { lastMeaningfulLine } from "../../kafka/local/java.js";
import { type KafkaOptionsInput, kafkaDown, kafkaStatus, kafkaUp } from "../../kafka/local/local-broker.js";
import { resolveKafkaOptions } from "../../kafka/local/options.js";
import { renderProperties, serverProperties } from "../../kafka/local/server-properties.js";

const { Kafka, logLevel, Partitioners } = kafkajs;
const execFileAsync = promisify(execFile);

const jarsDir = process.env.FACEFLEET_KAFKA_JARS || path.resolve(".facefleet/kafka/jars");

/**
 * Runs `facefleet kafka ARGS` in a child node (as cli/main.ts would: errors as one line, their
 * exit code), so its stdout never mixes with the test runner's own stdout.
 */
async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const module = new URL("../../cli/commands/kafka.js", import.meta.url).href;
  const script = `import(${JSON.stringify(module)}).then(async ({ kafkaCommand }) => {
    try { process.exitCode = await kafkaCommand.run(process.argv.slice(1)); }
    catch (e) { process.stderr.write(e.message + "\\n"); process.exitCode = e.exitCode ?? 1; }
  })`;
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, ["-e", script, "--", ...args], {
      env: { ...process.env, FACEFLEET_KAFKA_JARS: jarsDir },
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== "number") throw error;
    return { code: e.code, out: e.stdout ?? "", err: e.stderr ?? "" };
  }
}

test("options: defaults, validation, and the single-node properties", () => {
  const k = resolveKafkaOptions({}, "/srv/app");
  assert.equal(k.dataDir, "/srv/app/.facefleet/kafka");
  assert.equal(k.jarsDir, "/srv/app/.facefleet/kafka/jars");
  assert.equal(k.bootstrap, "127.0.0.1:9092");
  assert.equal(k.heap, "512m");
  assert.throws(() => resolveKafkaOptions({ port: 9093 }), /must differ/);
  assert.throws(() => resolveKafkaOptions({ heap: "lots" }), /heap/);
  assert.throws(() => resolveKafkaOptions({ port: 70000 }), /port/);

  const props = serverProperties(resolveKafkaOptions({ dataDir: "/d", port: 19092, controllerPort: 19093 }));
  assert.equal(props["process.roles"], "broker,controller");
  assert.equal(props["controller.quorum.voters"], "1@127.0.0.1:19093");
  assert.equal(props.listeners, "PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093");
  assert.equal(props["offsets.topic.replication.factor"], "1");
  assert.equal(props["transaction.state.log.replication.factor"], "1");
  assert.equal(props["transaction.state.log.min.isr"], "1");
  assert.equal(props["group.initial.rebalance.delay.ms"], "0");
  assert.equal(props["group.min.session.timeout.ms"], "1000");
  assert.equal(props["auto.create.topics.enable"], "false");
  assert.equal(props["log.dirs"], "/d/data");
  assert.match(renderProperties(props, "x"), /^node\.id=1$/m);
});

test("the line quoted from a failed broker's log is the root cause", () => {
  const log = [
    "[2026-01-01 00:00:00,000] INFO starting (kafka.server.KafkaRaftServer)",
    "[2026-01-01 00:00:01,000] ERROR [BrokerServer id=1] Fatal error during broker startup. (kafka.server.BrokerServer)",
    "org.apache.kafka.common.KafkaException: Socket server failed to bind to 127.0.0.1:19092: Address already in use.",
    "\tat kafka.network.Acceptor.openServerSocket(SocketServer.scala:734)",
    "Caused by: java.net.BindException: Address already in use",
    "[2026-01-01 00:00:02,000] INFO shut down completed (kafka.server.KafkaRaftServer)",
  ].join("\n");
  assert.equal(lastMeaningfulLine(log), "Caused by: java.net.BindException: Address already in use");
  assert.equal(
    lastMeaningfulLine("Error occurred during initialization of VM\nToo small initial heap"),
    "Error occurred during initialization of VM: Too small initial heap",
  );
  assert.match(lastMeaningfulLine("a\n[x] ERROR boom (y)\n[x] INFO z (y)") ?? "", /ERROR boom/);
});

test("CLI: bad arguments are usage errors; status of nothing is exit 3", async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "facefleet-kafka-cli-"));
  try {
    await assert.rejects(kafkaCommand.run(["sideways"]), { name: "UsageError" });
    await assert.rejects(kafkaCommand.run([]), { name: "UsageError" });
    await assert.rejects(kafkaCommand.run(["up", "--port", "abc"]), { name: "UsageError" });
    await assert.rejects(kafkaCommand.run(["up", "--bogus"]), { name: "UsageError" });
    const usage = await cli(["up", "--heap", "lots", "--data-dir", dataDir]);
    assert.equal(usage.code, 2);
    assert.match(usage.err, /heap must be a size/);
    const help = await cli(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.out, /--controller-port/);
    const status = await cli(["status", "--data-dir", dataDir, "--port", "19192"]);
    assert.equal(status.code, STATUS_NOT_RUNNING);
    assert.match(status.out, /stopped/);
    const down = await cli(["down", "--data-dir", dataDir]);
    assert.equal(down.code, 0);
    assert.match(down.out, /not running/);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("a stale pid file (process gone) is reported and removed", async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "facefleet-kafka-stale-"));
  try {
    const gone = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"]).stdout.toString();
    const pidFile = path.join(dataDir, "broker.pid");
    writeFileSync(pidFile, JSON.stringify({ pid: Number(gone), bootstrap: "127.0.0.1:1", logFile: "x", startedAt: "x" }));
    const lines: string[] = [];
    const status = await kafkaStatus({ dataDir }, (l) => lines.push(l));
    assert.equal(status.state, "stopped");
    assert.equal(status.state === "stopped" ? status.stalePid : undefined, Number(gone));
    assert.match(lines.join("\n"), /stale pid file/);
    assert.throws(() => readFileSync(pidFile), { code: "ENOENT" });
    writeFileSync(pidFile, gone);
    assert.deepEqual(await kafkaDown({ dataDir }), { state: "not-running", stalePid: Number(gone) });
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test("up -> status -> up again -> kafkajs round trip with a consumer group -> down -> status", { timeout: 600_000 }, async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), "facefleet-kafka-"));
  const options: KafkaOptionsInput = { dataDir, jarsDir, port: 19092, controllerPort: 19093, heap: "512m" };
  const bootstrap = "127.0.0.1:19092";
  t.after(async () => {
    await kafkaDown(options).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  const progress: string[] = [];
  const up = await kafkaUp(options, (l) => progress.push(l));
  assert.equal(up.state, "started");
  assert.equal(up.bootstrap, bootstrap);
  if (up.state === "started") t.diagnostic(`Kafka ${up.version} answered ${up.startupMs} ms after java started`);

  const status = await cli(["status", "--data-dir", dataDir, "--port", "19092", "--controller-port", "19093"]);
  assert.equal(status.code, 0);
  assert.match(status.out, new RegExp(`running pid ${up.pid} bootstrap ${bootstrap}`));

  const again = await cli(["up", "--data-dir", dataDir, "--port", "19092", "--controller-port", "19093"]);
  assert.equal(again.code, 0);
  assert.match(again.out, new RegExp(`already running \\(pid ${up.pid}\\)`));

  // --- kafkajs 2.2.4 against this broker ---
  // kafkajs log entries are kept, not printed: the first FindCoordinator is answered "coordinator
  // not available" while __consumer_offsets is being created (kafkajs retries); shown on failure.
  const clientLog: string[] = [];
  const kafka = new Kafka({
    clientId: "facefleet-kafka-test",
    brokers: [bootstrap],
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      clientLog.push(`${entry.log.message} ${String(entry.log.error ?? "")}`);
    },
  });
  const topic = "facefleet.test.roundtrip";
  const groupId = "facefleet-test-group";
  const admin = kafka.admin();
  await admin.connect();
  // Idempotent: a send retried after a timeout (a busy machine) is not written twice.
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner, idempotent: true, maxInFlightRequests: 1 });
  // sessionTimeout 3000 < Kafka's default group.min.session.timeout.ms (6000): the join only
  // succeeds because server.properties lowers it. A fetch long-poll blocks heartbeats, so
  // maxWaitTimeInMs must stay well under the session timeout.
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 3000,
    heartbeatInterval: 500,
    rebalanceTimeout: 10_000,
    maxWaitTimeInMs: 500,
  });
  try {
    assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3 }], waitForLeaders: true }), true);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    assert.equal(meta.topics[0]?.partitions.length, 3);

    const keys = Array.from({ length: 12 }, (_, i) => `camera-${i}`);
    const sent = keys.flatMap((key) => [0, 1, 2].map((seq) => ({ key, value: JSON.stringify({ key, seq }) })));
    await producer.connect();
    await producer.send({ topic, messages: sent, acks: -1 });

    const received: { key: string; partition: number; seq: number }[] = [];
    let allReceived!: () => void;
    const done = new Promise<void>((resolve) => (allReceived = resolve));
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const body = JSON.parse(String(message.value)) as { key: string; seq: number };
        received.push({ key: String(message.key), partition, seq: body.seq });
        await consumer.commitOffsets([{ topic, partition, offset: (BigInt(message.offset) + 1n).toString() }]);
        if (received.length === sent.length) allReceived();
      },
    });
    const timeout = setTimeout(() => allReceived(), 60_000);
    await done;
    clearTimeout(timeout);
    assert.equal(received.length, sent.length, "every message reaches the consumer group");

    // Same key, same partition, in order; the keys spread over all 3 partitions.
    const partitionOf = new Map<string, number>();
    for (const r of received) {
      assert.equal(partitionOf.get(r.key) ?? r.partition, r.partition, `key ${r.key} stays on one partition`);
      partitionOf.set(r.key, r.partition);
    }
    for (const key of keys) {
      assert.deepEqual(
        received.filter((r) => r.key === key).map((r) => r.seq),
        [0, 1, 2],
      );
    }
    assert.equal(new Set(partitionOf.values()).size, 3);

    // Committed offsets are visible to the admin client.
    const perPartition = [0, 1, 2].map((p) => received.filter((r) => r.partition === p).length);
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const offsets = committed[0]?.partitions.sort((a, b) => a.partition - b.partition).map((p) => Number(p.offset));
    assert.deepEqual(offsets, perPartition);

    // The member outlives a couple of session timeouts while idle (its heartbeats keep it in).
    const before = await admin.describeGroups([groupId]);
    await new Promise((resolve) => setTimeout(resolve, 7000));
    const groups = await admin.describeGroups([groupId]);
    assert.equal(groups.groups[0]?.state, "Stable");
    assert.equal(groups.groups[0]?.protocolType, "consumer");
    assert.deepEqual(
      groups.groups[0]?.members.map((m) => m.memberId),
      before.groups[0]?.members.map((m) => m.memberId),
    );
    assert.equal(groups.groups[0]?.members.length, 1);
  } catch (error) {
    t.diagnostic(`kafkajs log:\n${clientLog.join("\n")}`);
    throw error;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  // A clean LeaveGroup: the member was never expired by the broker.
  assert.equal(clientLog.filter((l) => /not aware of this member|rebalanc/i.test(l)).length, 0, clientLog.join("\n"));

  const down = await cli(["down", "--data-dir", dataDir]);
  assert.equal(down.code, 0);
  assert.match(down.out, new RegExp(`pid ${up.pid}\\) stopped`));
  const after = await cli(["status", "--data-dir", dataDir, "--port", "19092"]);
  assert.equal(after.code, STATUS_NOT_RUNNING);
  assert.match(after.out, /stopped/);
  assert.match(readFileSync(path.join(dataDir, "broker.log"), "utf8"), /Kafka Server started/);
});
