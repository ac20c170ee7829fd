/** Corrections of recognition events (into the gallery, through the shared gallery feature) and unknown-person alerts: follows every event. */
import type { ApiRoute } from "../api/route.js";
import { eventRoutes } from "../api/routes-events.js";
import { type Corrections, startCorrections } from "../corrections/corrections.js";
import type { Feature, FeatureContext } from "../feature.js";
import type { GalleryFeature } from "./gallery.js";

export class CorrectionsFeature implements Feature {
  readonly name = "corrections";
  private corrections: Corrections | undefined;
  private unsubscribe: (() => void) | undefined;

  constructor(private readonly gallery: GalleryFeature) {}

  async start({ config, bus, log, atRest }: FeatureContext): Promise<void> {
    const corrections = await startCorrections({
      writer: this.gallery.gallery.writer,
      stateDir: config.stateDir,
      files: atRest,
      recentEvents: config.corrections.recentEvents,
      eventRetentionHours: config.corrections.retentionHours,
      eventPurgeIntervalMs: config.corrections.purgeIntervalMs,
      retentionHours: config.unknownAlerts.retentionHours,
      purgeIntervalMs: config.unknownAlerts.purgeIntervalMs,
      onAlert: (alert) => bus.emit("alert", alert),
      log,
    });
    this.corrections = corrections;
    this.unsubscribe = bus.on("recognitionEvent", (event) => corrections.observe(event));
  }

  /** The recent events and the unknown-person alerts; only once started. */
  get running(): Corrections {
    if (!this.corrections) throw new Error("corrections: not started");
    return this.corrections;
  }

  routes(): ApiRoute[] {
    if (!this.corrections) throw new Error("corrections: not started");
    return eventRoutes(this.corrections.control);
  }

  async stop(): Promise<void> {
    this.unsubscribe?.();
    await this.corrections?.stop();
  }
}
