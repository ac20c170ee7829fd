import type { AgentCommand } from "../../protocol/command.js";
import { type CommandHandlers, CommandListener } from "../commands/command-listener.js";
import type { StatsSnapshot } from "../worker/stats.js";
import { agentVersion } from "./agent-version.js";
import { buildAgentHealth, FpsMeter, type ModelDescription } from "./health-builder.js";
import { HealthReporter } from "./health-reporter.js";
import { AgentMqttLink } from "./mqtt-link.js";
import type { AgentMqttSettings } from "./mqtt-settings.js";
import { SystemProbe } from "./system-probe.js";

/** What the agent tells its MQTT side; everything but the ids is read at each report. */
export type AgentMqttOptions = {
  agentId: string;
  settings: AgentMqttSettings;
  /** The frames topic the owned partitions belong to. */
  framesTopic: string;
  /** The inference worker's counters (WorkerStats.snapshot()); undefined for a capture-only agent. */
  stats: () => StatsSnapshot | undefined;
  /** Frames taken in so far (for fps in). */
  framesIn: () => number;
  /** The pipeline's describe(). */
  models: () => ModelDescription[];
  /** The capture role's cameras (id, fps), reported so that the coordinator's plan places each on a partition. */
  cameras?: readonly { id: string; fps: number }[];
  /** Consumer lag per owned partition, where the worker knows it. */
  lag?: () => ReadonlyMap<number, number> | undefined;
  /**
   * The agent's own commands. drain/undrain are wrapped: the `drained` flag in health is set first,
   * then the handler runs (the hand-over of partitions plugs in here).
   */
  handlers?: CommandHandlers;
  log: (line: string) => void;
  /** Tests pass a probe; default: the real system. */
  probe?: Pick<SystemProbe, "sample">;
  agentVersion?: string;
};

export type AgentMqtt = {
  link: AgentMqttLink;
  reporter: HealthReporter;
  commands: CommandListener;
  /** Whether the coordinator has drained this agent (reported in health). */
  readonly drained: boolean;
  /** Stops reports and commands, publishes `offline`, disconnects cleanly. */
  close(): Promise<void>;
};

/** Connects the agent to MQTT: status with last will, health every `healthIntervalMs`, commands with acks. */
export async function startAgentMqtt(options: AgentMqttOptions): Promise<AgentMqtt> {
  const probe = options.probe ?? new SystemProbe();
  const version = options.agentVersion ?? agentVersion();
  const fpsIn = new FpsMeter();
  let drained = false;
  const link = new AgentMqttLink(options.agentId, options.settings, options.log);
  const reporter = new HealthReporter(
    link,
    async () =>
      buildAgentHealth({
        agentId: options.agentId,
        agentVersion: version,
        system: await probe.sample(),
        stats: options.stats(),
        fpsIn: fpsIn.rate(options.framesIn()),
        models: options.models(),
        framesTopic: options.framesTopic,
        lag: options.lag?.(),
        drained,
        cameras: options.cameras ?? [],
      }),
    options.log,
  );
  const own = options.handlers ?? {};
  const setDrained = (value: boolean) => async (command: AgentCommand) => {
    const was = drained;
    drained = value;
    const hook = value ? own.drain : own.undrain;
    let message: string | undefined;
    try {
      message = hook ? await hook(command) : undefined;
    } catch (error) {
      drained = was;
      throw error;
    }
    void reporter.publishNow();
    return message ?? (value ? "drained" : "undrained");
  };
  const commands = new CommandListener(
    link.client,
    options.agentId,
    { ...own, drain: setDrained(true), undrain: setDrained(false) },
    options.log,
  );
  await commands.start();
  reporter.start();
  let closing: Promise<void> | undefined;
  return {
    link,
    reporter,
    commands,
    get drained() {
      return drained;
    },
    close: () => {
      closing ??= (async () => {
        await reporter.stop();
        await commands.stop();
        await link.close();
      })();
      return closing;
    },
  };
}
