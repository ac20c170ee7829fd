import type { AgentHealth } from "../../protocol/health.js";
import { mqttTopics } from "../../protocol/mqtt-topics.js";
import type { AgentMqttLink } from "./mqtt-link.js";

/**
 * Publishes the agent's health on `facefleet/agents/<id>/health` every `healthIntervalMs` while
 * connected, and at once on each (re)connect. A report that cannot be built is logged, not fatal.
 */
export class HealthReporter {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failures = 0;
  private readonly onConnect = () => void this.publishNow();

  constructor(
    private readonly link: AgentMqttLink,
    private readonly collect: () => Promise<AgentHealth>,
    private readonly log: (line: string) => void,
  ) {}

  start(): void {
    this.link.client.on("connect", this.onConnect);
    if (this.link.isConnected) void this.publishNow();
    this.timer = setInterval(() => void this.publishNow(), this.link.settings.healthIntervalMs);
    this.timer.unref();
  }

  /** Builds and publishes one report (skipped while disconnected or while the previous one is still being built). */
  publishNow(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    // Cleared in a callback (always after this assignment, even when report() ends synchronously):
    // clearing inside report() itself would leave a settled promise behind and stop all later reports.
    const run = this.report().finally(() => {
      if (this.inFlight === run) this.inFlight = undefined;
    });
    this.inFlight = run;
    return run;
  }

  private async report(): Promise<void> {
    try {
      if (!this.link.isConnected) return;
      // A publish caught by a dropped connection may never call back: give up on it after a while,
      // or every later report would wait behind it.
      const limitMs = Math.max(5000, 2 * this.link.settings.healthIntervalMs);
      await withTimeout(
        (async () => {
          const health = await this.collect();
          await this.link.client.publishAsync(mqttTopics.health(this.link.agentId), JSON.stringify(health), { qos: 0 });
        })(),
        limitMs,
        `no answer within ${limitMs} ms`,
      );
      this.failures = 0;
    } catch (error) {
      if (this.failures++ % 10 === 0) this.log(`health report failed: ${(error as Error).message}`);
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.link.client.off("connect", this.onConnect);
    await this.inFlight;
  }
}

function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  work.catch(() => {});
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
