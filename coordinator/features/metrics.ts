/**
 * GET /metrics (api/routes-metrics.ts): counts what the bus says (published plans and the partitions they moved,
 * recognition events by type and how late they arrive, gallery changes: metrics/fleet-counters.ts) and, on each
 * scrape, reads the fleet state (agents with their health, the plan, the measured load) into the Prometheus text
 * format (metrics/fleet-metrics.ts). Started after planning, so the plan restored from facefleet.plan is no change.
 */
import type { ApiRoute } from "../api/route.js";
import { metricsRoutes } from "../api/routes-metrics.js";
import type { Feature, FeatureContext } from "../feature.js";
import type { FleetState } from "../fleet-state.js";
import { FleetCounters } from "../metrics/fleet-counters.js";
import { fleetMetricsText } from "../metrics/fleet-metrics.js";

export class MetricsFeature implements Feature {
  readonly name = "metrics";
  private readonly counters = new FleetCounters();
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly fleet: FleetState) {}

  async start({ bus }: FeatureContext): Promise<void> {
    this.counters.seedPlan(this.fleet.keeper.plan);
    this.unsubscribe.push(
      bus.on("planPublished", () => this.counters.notePlan(this.fleet.keeper.plan)),
      bus.on("recognitionEvent", (event) => this.counters.noteEvent(event)),
      bus.on("galleryChanged", ({ version, identities }) => this.counters.noteGallery(version, identities)),
    );
  }

  /** The exposition as the fleet is now. */
  text(): string {
    const { registry } = this.fleet;
    const agents = registry.all().flatMap((record) => {
      const view = this.fleet.agentView(record.id);
      return view ? [view] : [];
    });
    return fleetMetricsText({ agents, plan: this.fleet.planView(), counters: this.counters.snapshot() });
  }

  routes(): ApiRoute[] {
    return metricsRoutes(() => this.text());
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
  }
}
