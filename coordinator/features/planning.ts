/**
 * The planner loop: once every feature has started (`started` on the bus), waits for the last plan's owners to report (or the start-up grace),
 * then plans once; afterwards plans at once (debounced) when agents join or are lost, and every
 * `planner.intervalMs` for load, once the agents hold what the last plan gave them (plan/plan-settled.ts). The
 * planner is sticky: agents that are all back change nothing.
 */
import type { Kafka } from "kafkajs";
import type { PartitionPlan } from "../../protocol/plan.js";
import type { Feature, FeatureContext } from "../feature.js";
import type { FleetState } from "../fleet-state.js";
import { readLastPlan } from "../plan/last-plan.js";
import type { ReplanResult } from "../plan/plan-keeper.js";
import type { CoordinatorStateFile } from "../state/coordinator-state.js";

const RETRY_MS = 2000;
const STARTUP_POLL_MS = 200;

export class PlanningFeature implements Feature {
  readonly name = "planning";
  private allowed = false;
  private stopped = false;
  private debounce: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private unsubscribe: (() => void) | undefined;
  private unsubscribeStarted: (() => void) | undefined;
  private context: FeatureContext | undefined;
  /** Resolves once the first plan decision after the start was made (published or kept). */
  settled: Promise<void> = Promise.resolve();

  constructor(
    private readonly fleet: FleetState,
    private readonly kafka: Kafka,
    private readonly stateFile: CoordinatorStateFile,
  ) {}

  async start(context: FeatureContext): Promise<void> {
    this.context = context;
    const { config, bus, log } = context;
    const lastPlan = await readLastPlan(this.kafka, config.framesTopic);
    this.fleet.keeper.restore(lastPlan, await this.stateFile.load());
    if (lastPlan) log(`last plan: v${lastPlan.version} (${Object.keys(lastPlan.owners).length} partitions, ${lastPlan.reason})`);
    const liveness = bus.on("liveness", ({ joined, lost }) =>
      this.schedule([...joined.map((id) => `${id} joined`), ...lost.map((id) => `${id} lost`)].join(", ")),
    );
    // An agent is given work once its health says it runs inference, and its cameras are placed once
    // reported: the first report of each agent, or a change in its cameras, is worth a plan at once.
    const heard = new Map<string, string>();
    const health = bus.on("agentHealth", (report) => {
      const key = `${report.inference}:${report.cameras.map((c) => c.id).join(",")}`;
      if (heard.get(report.agentId) === key) return;
      heard.set(report.agentId, key);
      this.schedule(`${report.agentId} reported`);
    });
    this.unsubscribe = () => {
      liveness();
      health();
    };
    this.periodic = setInterval(() => void this.replan("load"), config.planner.intervalMs);
    let begin: () => void = () => {};
    const begun = new Promise<void>((resolve) => {
      begin = resolve;
    });
    this.unsubscribeStarted = bus.on("started", () => begin());
    this.settled = begun.then(() => this.firstDecision(lastPlan, config.liveness.startupGraceMs));
  }

  /** Tells the bus about a published plan and the agents whose partitions it changed; returns the result. */
  afterPlan(result: ReplanResult): ReplanResult {
    const bus = this.context?.bus;
    if (result.published && bus) {
      bus.emit("planPublished", { version: result.plan?.version ?? 0 });
      // Owned partitions are part of each agent's view.
      for (const id of this.fleet.registry.liveIds()) {
        const view = this.fleet.agentView(id);
        if (view) bus.emit("agentChanged", view);
      }
    }
    return result;
  }

  private async firstDecision(lastPlan: PartitionPlan | null, graceMs: number): Promise<void> {
    const owners = new Set(Object.values(lastPlan?.owners ?? {}));
    const deadline = Date.now() + graceMs;
    while (!this.stopped && Date.now() < deadline) {
      const live = new Set(this.fleet.registry.liveIds());
      if (lastPlan ? [...owners].every((id) => live.has(id)) : live.size > 0) break;
      await new Promise((r) => setTimeout(r, STARTUP_POLL_MS));
    }
    this.allowed = true;
    await this.replan(lastPlan ? "coordinator started" : "first plan");
  }

  private schedule(why: string, delay = this.context?.config.planner.debounceMs ?? 0): void {
    if (this.debounce) clearTimeout(this.debounce);
    this.debounce = setTimeout(() => void this.replan(why), delay);
  }

  private async replan(why: string): Promise<void> {
    if (this.stopped || !this.allowed || !this.context) return;
    // Load moves wait until the last plan is in force (planner.settleMs): the next interval tries again.
    if (why === "load" && !this.fleet.settledForLoad()) return;
    const { log } = this.context;
    try {
      const input = this.fleet.fleetInput();
      const result = this.afterPlan(await this.fleet.keeper.replan(input, why));
      if (!result.published && why !== "load") {
        const agents = input.agents.length > 0 ? input.agents.map((a) => `${a.id} ${a.capacityFps} fps`).join(", ") : "no agent";
        const load = input.loads.reduce((sum, l) => sum + l.fps, 0).toFixed(1);
        const warnings = result.warnings.length > 0 ? `; ${result.warnings.join("; ")}` : "";
        log(`plan v${result.plan?.version ?? "-"} kept (${why}): ${agents}; load ${load} fps${warnings}`);
      }
    } catch (error) {
      log(`cannot publish the plan (${why}): ${(error as Error).message}; retrying`);
      this.schedule(why, RETRY_MS);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribeStarted?.();
    clearInterval(this.periodic);
    if (this.debounce) clearTimeout(this.debounce);
  }
}
