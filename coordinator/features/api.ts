/**
 * The REST + WebSocket API and the dashboard: the operator's control of the fleet (coordinator/fleet-control.ts),
 * the routes of the other features, and the live stream, made from the bus (agents, plans, events without their
 * embeddings, frames, gallery changes, alerts).
 */
import type { StreamMessage } from "../../protocol/api.js";
import { auditedRoutes } from "../api/audited-routes.js";
import type { ApiRoute } from "../api/route.js";
import { agentRoutes } from "../api/routes-agents.js";
import { partitionRoutes } from "../api/routes-partitions.js";
import { type ApiServer, startApiServer } from "../api/server.js";
import type { AuditLog } from "../audit/audit-log.js";
import type { CoordinatorBus } from "../bus.js";
import type { CoordinatorControl, LiveViewer } from "../control.js";
import { withoutEmbedding } from "../corrections/corrections.js";
import type { Feature, FeatureContext } from "../feature.js";
import { createFleetControl } from "../fleet-control.js";
import type { FleetState } from "../fleet-state.js";
import { apiTokensFile } from "../state/api-tokens.js";
import type { MqttLinkFeature } from "./mqtt-link.js";
import type { PlanningFeature } from "./planning.js";

export type ApiFeatureOptions = {
  fleet: FleetState;
  planning: PlanningFeature;
  link: MqttLinkFeature;
  /** A live-view viewer for a stream connection (the live-view feature). */
  viewer: () => LiveViewer;
  token: string;
  /** The built dashboard, when there is one. */
  staticDir?: string;
  /** The features whose routes the API serves (asked once they are started). */
  routesOf: () => ApiRoute[];
  /** The audit log the audited routes write to (api/audited-routes.ts). */
  audit: () => AuditLog;
};

export class ApiFeature implements Feature {
  readonly name = "api";
  private readonly listeners = new Set<(message: StreamMessage) => void>();
  private readonly unsubscribe: (() => void)[] = [];
  private server: ApiServer | undefined;
  private fleetControl: CoordinatorControl | undefined;

  constructor(private readonly o: ApiFeatureOptions) {}

  get url(): string {
    if (!this.server) throw new Error("api: not started");
    return this.server.url;
  }

  get control(): CoordinatorControl {
    if (!this.fleetControl) throw new Error("api: not started");
    return this.fleetControl;
  }

  /** The fleet's own routes: agents (drain, undrain, commands) and partitions (move, pin) over the fleet control. */
  routes(): ApiRoute[] {
    return [...agentRoutes(this.control), ...partitionRoutes(this.control)];
  }

  async start({ config, bus, log }: FeatureContext): Promise<void> {
    this.followBus(bus, log);
    const { fleet, planning, link } = this.o;
    this.fleetControl = createFleetControl({
      registry: fleet.registry,
      keeper: fleet.keeper,
      framesTopic: config.framesTopic,
      partitionCount: () => fleet.partitionCount(),
      fleet: () => fleet.fleetInput(),
      agentView: (id) => fleet.agentView(id),
      planView: () => fleet.planView(),
      afterPlan: (result) => planning.afterPlan(result),
      emit: (message) => {
        if (message.type === "agent") bus.emit("agentChanged", message.agent);
      },
      subscribe: (listener) => {
        this.listeners.add(listener);
        return () => this.listeners.delete(listener);
      },
      command: (agent, command) => link.command(agent, command, config.commandTimeoutMs),
      viewer: this.o.viewer,
    });
    this.server = await startApiServer({
      control: this.fleetControl,
      host: config.http.host,
      port: config.http.port,
      token: this.o.token,
      ...(config.http.password ? { password: config.http.password } : {}),
      tokensFile: apiTokensFile(config.stateDir),
      secureCookies: config.http.secureCookies,
      ...(this.o.staticDir ? { staticDir: this.o.staticDir } : {}),
      routes: auditedRoutes([...this.routes(), ...this.o.routesOf()], this.o.audit(), log),
      log,
    });
    log(`API${this.o.staticDir ? " and dashboard" : ""} on ${this.server.url}`);
  }

  /** The dashboard's stream messages, from the bus. */
  private followBus(bus: CoordinatorBus, log: (line: string) => void): void {
    const send = (message: StreamMessage) => {
      for (const listener of this.listeners) {
        try {
          listener(message);
        } catch (error) {
          log(`stream listener failed: ${(error as Error).message}`);
        }
      }
    };
    const planMessage = (): StreamMessage => ({ type: "plan", plan: this.o.fleet.planView() });
    this.unsubscribe.push(
      bus.on("agentChanged", (agent) => send({ type: "agent", agent })),
      bus.on("planPublished", () => send(planMessage())),
      // The measured load per partition changes between plans: dashboards get it with every sample.
      bus.on("loadSampled", () => {
        if (this.listeners.size > 0) send(planMessage());
      }),
      // The embedding stays in the coordinator (corrections); the crop goes on to the dashboard.
      bus.on("recognitionEvent", (event) => send({ type: "event", event: withoutEmbedding(event) })),
      bus.on("annotatedFrame", ({ camera, time }) => send({ type: "frame", camera, time })),
      bus.on("galleryChanged", ({ version, identities }) => send({ type: "gallery", version, identities })),
      bus.on("alert", (alert) => send({ type: "alert", alert })),
    );
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe) off();
    await this.server?.close();
  }
}
