/**
 * Prometheus metrics of the fleet: counts recognition events, plan changes and alerts from the bus, and serves
 * GET /api/metrics (text format 0.0.4, behind the API token like every /api route) from coordinator/metrics/.
 */
import type { ApiRoute } from "../api/route.js";
import { metricsRoutes } from "../api/routes-metrics.js";
import type { Feature, FeatureContext } from "../feature.js";
import type { FleetState } from "../fleet-state.js";
import { fleetMetricsText } from "../metrics/fleet-metrics.js";

export class MetricsFeature implements Feature {
  readonly name = "metrics";
  private readonly eventsByType = new Map<string, number>();
  private planChanges = 0;
  private alerts = 0;
  private gallery: { version: number; identities: number } | null = null;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly fleet: FleetState) {}

  async start({ bus }: FeatureContext): Promise<void> {
    this.unsubscribe.push(
      bus.on("recognitionEvent", (event) => this.eventsByType.set(event.type, (this.eventsByType.get(event.type) ?? 0) + 1)),
      bus.on("planPublished", () => this.planChanges++),
      bus.on("alert", () => this.alerts++),
      bus.on("galleryChanged", (gallery) => (this.gallery = gallery)),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
  }

  /** The exposition as the fleet is now. */
  text(): string {
    return fleetMetricsText(this.fleet, {
      eventsByType: this.eventsByType,
      planChanges: this.planChanges,
      alerts: this.alerts,
      gallery: this.gallery,
    });
  }

  routes(): ApiRoute[] {
    return metricsRoutes(() => this.text());
  }
}
