import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import { test } from "node:test";
import type { Consumer } from "kafkajs";
import { isTransientKafkaCrash, restartAfterCrash } from "../../kafka/consumer-restart.js";

const named = (name: string, message: string) => Object.assign(new Error(message), { name });

/** Only what restartAfterCrash uses of a kafkajs consumer: events, on, connect. */
function consumerStub() {
  const emitter = new EventEmitter();
  let connects = 0;
  const consumer = {
    events: { GROUP_JOIN: "consumer.group_join", CRASH: "consumer.crash" },
    on: (event: string, listener: () => void) => emitter.on(event, listener),
    connect: async () => {
      connects++;
    },
  } as unknown as Consumer;
  return { consumer, connects: () => connects, join: () => emitter.emit("consumer.group_join") };
}

test("transient crashes: the group coordinator not found (kafkajs#1630), connection errors; not a bug in the handler", () => {
  assert.equal(isTransientKafkaCrash(named("KafkaJSGroupCoordinatorNotFound", "Failed to find group coordinator")), true);
  assert.equal(isTransientKafkaCrash(named("KafkaJSNonRetriableError", "Failed to find group coordinator")), true);
  assert.equal(isTransientKafkaCrash(named("KafkaJSConnectionClosedError", "Closed connection")), true);
  assert.equal(isTransientKafkaCrash(named("TypeError", "cannot read properties of undefined")), false);
  assert.equal(isTransientKafkaCrash(named("KafkaJSNonRetriableError", "Topic authorization failed")), false);
});

test("a crash kafkajs does not restart is restarted after a wait, again on failure, never once stopped", async () => {
  const { consumer, connects } = consumerStub();
  let runs = 0;
  let failNext = true;
  let stopped = false;
  const lines: string[] = [];
  const restarted = restartAfterCrash(consumer, {
    stopped: () => stopped,
    run: async () => {
      runs++;
      if (failNext) {
        failNext = false;
        throw new Error("still no coordinator");
      }
    },
    log: (line) => lines.push(line),
    delaysMs: [20, 40],
  });
  const crash = named("KafkaJSGroupCoordinatorNotFound", "Failed to find group coordinator");
  assert.equal(restarted({ error: crash, restart: true }), false, "kafkajs restarts it itself");
  assert.equal(restarted({ error: named("TypeError", "bug"), restart: false }), false, "not transient: the owner decides");
  assert.equal(restarted({ error: crash, restart: false }), true);
  assert.equal(restarted({ error: crash, restart: false }), true, "a second crash while waiting schedules nothing more");
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(runs, 2, "the first attempt failed, the second ran");
  assert.equal(connects(), 2);
  assert.match(lines.join("\n"), /kafkajs does not restart after it: restarting[\s\S]*consumer restart failed: still no coordinator/);
  stopped = true;
  assert.equal(restarted({ error: crash, restart: false }), false, "stopped on purpose");
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(runs, 2);
});
