/**
 * kafkajs restarts a crashed consumer only when the error is retriable; after a broker restart it can crash with
 * "Failed to find group coordinator" (KafkaJSGroupCoordinatorNotFound, non-retriable while the restarted broker
 * still loads its group state: kafkajs issues #1445 and #1630) and then stays stopped for good. An agent would stop
 * processing, or a topic reader stop following its topic, with nothing else wrong. `restartAfterCrash` starts such
 * a consumer again itself, with growing waits, until it runs or is stopped.
 */
import type { Consumer } from "kafkajs";

/** Crashes that come from the cluster being away or still starting, which kafkajs nevertheless does not restart. */
export function isTransientKafkaCrash(error: Error): boolean {
  return (
    error.name === "KafkaJSGroupCoordinatorNotFound" ||
    /group coordinator|coordinator is (loading|not available)|not the correct coordinator/i.test(error.message) ||
    ["KafkaJSConnectionError", "KafkaJSConnectionClosedError", "KafkaJSRequestTimeoutError", "KafkaJSBrokerNotFound"].includes(error.name)
  );
}

export type CrashRestartOptions = {
  /** Whether the owner stopped the consumer on purpose (then nothing is restarted). */
  stopped: () => boolean;
  /** `consumer.run(...)` with the owner's run config. */
  run: () => Promise<void>;
  log?: (line: string) => void;
  /** Waits before each attempt in a row; the last repeats. */
  delaysMs?: readonly number[];
};

/**
 * Restarts `consumer` after a crash that kafkajs will not restart and isTransientKafkaCrash calls transient.
 * Returns whether a crash (its CRASH payload) is taken care of here, for the owner's own CRASH handler.
 */
export function restartAfterCrash(
  consumer: Consumer,
  options: CrashRestartOptions,
): (payload: { error: Error; restart: boolean }) => boolean {
  const delays = options.delaysMs ?? [1000, 2000, 5000];
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  const schedule = () => {
    if (timer) return;
    const wait = delays[Math.min(attempt, delays.length - 1)] ?? 1000;
    attempt++;
    timer = setTimeout(async () => {
      timer = undefined;
      if (options.stopped()) return;
      try {
        await consumer.connect();
        await options.run();
        attempt = 0;
      } catch (error) {
        options.log?.(`consumer restart failed: ${(error as Error).message}; trying again`);
        schedule();
      }
    }, wait);
    timer.unref?.();
  };
  consumer.on(consumer.events.GROUP_JOIN, () => {
    attempt = 0;
  });
  return ({ error, restart }) => {
    if (restart || options.stopped() || !isTransientKafkaCrash(error)) return false;
    options.log?.(`consumer crashed: ${error.message} (kafkajs does not restart after it: restarting)`);
    schedule();
    return true;
  };
}
