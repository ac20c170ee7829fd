/** The measured load per partition (Kafka offsets): sampled once at start, then every `loadSampleMs`. */
import type { Feature, FeatureContext } from "../feature.js";
import type { FleetState } from "../fleet-state.js";

export class LoadSamplingFeature implements Feature {
  readonly name = "load-sampling";
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly fleet: FleetState) {}

  async start({ config, bus, log }: FeatureContext): Promise<void> {
    const { meter } = this.fleet;
    await meter.start();
    await meter.sample();
    this.timer = setInterval(() => {
      meter
        .sample()
        .then(() => bus.emit("loadSampled", {}))
        .catch((error: Error) => log(`load sample failed: ${error.message}`));
    }, config.loadSampleMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.fleet.meter.stop();
  }
}
