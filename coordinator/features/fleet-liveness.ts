/**
 * Which agents are alive: status and health from MQTT into the registry, checked every 500 ms (an agent whose
 * health stops is lost after `liveness.missedHealthMs`). Emits `liveness` for agents that joined or were lost,
 * and `agentChanged` for every agent whose view changed.
 */
import type { CoordinatorBus } from "../bus.js";
import type { Feature, FeatureContext } from "../feature.js";
import type { FleetState } from "../fleet-state.js";

const CHECK_INTERVAL_MS = 500;

export class FleetLivenessFeature implements Feature {
  readonly name = "fleet-liveness";
  private lastLive = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly fleet: FleetState) {}

  async start({ bus, log }: FeatureContext): Promise<void> {
    const { registry } = this.fleet;
    this.unsubscribe.push(
      bus.on("agentStatus", ({ agentId, payload }) => {
        if (registry.noteStatus(agentId, payload)) this.check(bus, log);
      }),
      bus.on("agentHealth", (health) => {
        registry.noteHealth(health);
        this.check(bus, log);
        const view = this.fleet.agentView(health.agentId);
        if (view) bus.emit("agentChanged", view);
      }),
    );
    this.timer = setInterval(() => this.check(bus, log), CHECK_INTERVAL_MS);
  }

  private check(bus: CoordinatorBus, log: (line: string) => void): void {
    const live = new Set(this.fleet.registry.liveIds());
    const joined = [...live].filter((id) => !this.lastLive.has(id));
    const lost = [...this.lastLive].filter((id) => !live.has(id));
    this.lastLive = live;
    for (const id of [...joined, ...lost]) {
      log(`agent ${id} ${live.has(id) ? "online" : "lost"}`);
      const view = this.fleet.agentView(id);
      if (view) bus.emit("agentChanged", view);
    }
    if (joined.length + lost.length > 0) bus.emit("liveness", { joined, lost });
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    for (const off of this.unsubscribe) off();
  }
}
