import { EventEmitter } from "node:events";
import type { Kafka } from "kafkajs";
import { type PlanTopicReader, readPlanTopic } from "../../kafka/plan-topic.js";
import type { PartitionPlan } from "../../protocol/plan.js";

/**
 * Where an agent's copy of the coordinator's plan comes from. Source-agnostic: the compacted
 * facefleet.plan topic today (`PlanFollower.fromKafka`); MQTT retained `facefleet/plan` can feed the
 * same follower through `offer()`. The newest `version` wins whatever the source, and the last plan
 * is kept while nothing new comes (the coordinator may be down).
 */
export interface PlanSource {
  /** The newest plan seen; undefined until one arrives. */
  current(): PartitionPlan | undefined;
  /** Called with each newer plan (a higher version than any seen). Returns an unsubscribe. */
  onChange(listener: (plan: PartitionPlan) => void): () => void;
}

export class PlanFollower implements PlanSource {
  private plan: PartitionPlan | undefined;
  private readonly events = new EventEmitter();
  private readonly stoppers: (() => Promise<void>)[] = [];

  constructor(private readonly log: (line: string) => void = () => {}) {
    this.events.setMaxListeners(50);
  }

  current(): PartitionPlan | undefined {
    return this.plan;
  }

  onChange(listener: (plan: PartitionPlan) => void): () => void {
    this.events.on("change", listener);
    return () => this.events.off("change", listener);
  }

  /**
   * A plan from any source. Kept (and announced) only when newer than the one held; returns whether
   * it was.
   */
  offer(plan: PartitionPlan, source = "unknown"): boolean {
    if (this.plan && plan.version <= this.plan.version) return false;
    const previous = this.plan?.version;
    this.plan = plan;
    this.log(`plan version ${plan.version} from ${source}${previous === undefined ? "" : ` (was ${previous})`}: ${plan.reason}`);
    this.events.emit("change", plan);
    return true;
  }

  /** Resolves once a plan of at least `version` is held, or false after `timeoutMs`. */
  waitForVersion(version: number, timeoutMs: number): Promise<boolean> {
    if ((this.plan?.version ?? -1) >= version) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, timeoutMs);
      const off = this.onChange((plan) => {
        if (plan.version < version) return;
        clearTimeout(timer);
        off();
        resolve(true);
      });
    });
  }

  /**
   * Follows the compacted plan topic: read from its beginning to its current end before this
   * resolves (at most `loadTimeoutMs`; an empty topic = no plan yet), then followed.
   */
  async followKafka(kafka: Kafka, agentId: string, options: { topic?: string; loadTimeoutMs?: number } = {}): Promise<void> {
    const reader: PlanTopicReader = await readPlanTopic({
      kafka,
      topic: options.topic,
      clientName: agentId,
      onPlan: (plan) => this.offer(plan, "facefleet.plan"),
      onInvalid: (reason, offset) => this.log(`plan record at offset ${offset} skipped: ${reason}`),
    });
    this.stoppers.push(() => reader.stop());
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log(`plan topic not read to its end within ${options.loadTimeoutMs ?? 30_000} ms; going on with ${this.describe()}`);
        resolve();
      }, options.loadTimeoutMs ?? 30_000);
    });
    await Promise.race([reader.caughtUp, timeout]);
    clearTimeout(timer);
  }

  describe(): string {
    return this.plan ? `plan version ${this.plan.version}` : "no plan yet";
  }

  async stop(): Promise<void> {
    const stoppers = this.stoppers.splice(0);
    await Promise.all(stoppers.map((stop) => stop().catch(() => undefined)));
    this.events.removeAllListeners();
  }
}
