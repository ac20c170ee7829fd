/**
 * The faults that test/faults/ and bench/faults inject into a FaultFleet (testing/fault-fleet.ts). Each resolves
 * at the fault's end (the moment the fleet may start to recover); FaultFleet.measure does the counting.
 */
import { type FaultFleet, sleep } from "./fault-fleet.js";

export type Fault = {
  name: string;
  /** The agent the fault is aimed at (given work first), if any. */
  agent?: string;
  inject: (fleet: FaultFleet) => Promise<{ note?: string } | undefined>;
};

/** SIGSTOP of an agent for `ms` (frozen, not dead: its sockets stay open), then SIGCONT. */
export function agentFrozen(agent: string, ms: number): Fault {
  return {
    name: `agent SIGSTOP ${ms / 1000} s, SIGCONT`,
    agent,
    async inject(fleet) {
      const child = fleet.agent(agent).process.child;
      child.kill("SIGSTOP");
      await sleep(ms);
      child.kill("SIGCONT");
      return undefined;
    },
  };
}

/** SIGKILL of an agent, restarted at once (a supervisor). */
export function agentKilled(agent: string): Fault {
  return {
    name: "agent SIGKILL, restarted",
    agent,
    async inject(fleet) {
      await fleet.agent(agent).process.kill("SIGKILL");
      fleet.startAgent(agent);
      return undefined;
    },
  };
}

/** SIGSTOP of the broker's process group for `ms` (a hung broker: connections open, nothing answered), then SIGCONT. */
export function brokerHung(ms: number): Fault {
  return {
    name: `broker SIGSTOP ${ms / 1000} s, SIGCONT`,
    async inject(fleet) {
      const pid = fleet.brokerPid();
      process.kill(-pid, "SIGSTOP");
      try {
        await sleep(ms);
      } finally {
        process.kill(-pid, "SIGCONT");
      }
      return undefined;
    },
  };
}

/** `kafka down`, `downMs`, `kafka up` on the same data dir. */
export function brokerRestarted(downMs: number): Fault {
  return {
    name: "broker restart",
    async inject(fleet) {
      await fleet.broker.restart(downMs);
      return undefined;
    },
  };
}

/** SIGKILL of the coordinator (and so of its embedded MQTT broker), started again after `downMs`. */
export function coordinatorKilled(downMs: number): Fault {
  return {
    name: "coordinator SIGKILL (embedded MQTT with it), restarted",
    async inject(fleet) {
      await fleet.coordinator.kill("SIGKILL");
      await sleep(downMs);
      fleet.startCoordinator();
      await fleet.until("the coordinator's API again", () => fleet.api.reachable(), 60_000);
      return undefined;
    },
  };
}

/** The network between one agent and Kafka cut for `ms` (MQTT still up), then healed. */
export function kafkaCut(agent: string, ms: number): Fault {
  return {
    name: `agent cut from Kafka ${ms / 1000} s (MQTT up)`,
    agent,
    async inject(fleet) {
      const proxy = fleet.agent(agent).kafkaProxy;
      proxy.cut();
      await sleep(ms);
      proxy.heal();
      return undefined;
    },
  };
}

/** The network between one agent and MQTT cut for `ms` (Kafka still up), then healed. */
export function mqttCut(agent: string, ms: number): Fault {
  return {
    name: `agent cut from MQTT ${ms / 1000} s (Kafka up)`,
    agent,
    async inject(fleet) {
      const proxy = fleet.agent(agent).mqttProxy;
      proxy.cut();
      await sleep(ms);
      proxy.heal();
      return undefined;
    },
  };
}

/**
 * The agent restarted with its clock `offsetMs` off (its `Date`, testing/fault-preload.ts) and the stale-frame rule
 * on (`maxFrameAgeMs`), run until it has work and for `holdMs` more; it stays skewed (the next fault restarts it).
 */
export function clockSkewed(agent: string, offsetMs: number, maxFrameAgeMs: number, holdMs: number): Fault {
  const sign = offsetMs > 0 ? "+" : "−";
  return {
    name: `agent clock ${sign}${Math.abs(offsetMs) / 60_000} min (maxFrameAgeMs ${maxFrameAgeMs})`,
    agent,
    async inject(fleet) {
      await fleet.agent(agent).process.stop(15_000);
      fleet.startAgent(agent, offsetMs, { maxFrameAgeMs });
      await fleet.until(`${agent} back with a skewed clock`, () => fleet.restored(), 120_000);
      await fleet.giveWork(agent);
      await sleep(holdMs);
      return undefined;
    },
  };
}

/** The agent restarted with its clock right and the fleet's own settings (the end of a clock-skew series). */
export function clockRight(agent: string): Fault {
  return {
    name: "agent restarted with its clock right",
    agent,
    async inject(fleet) {
      await fleet.agent(agent).process.stop(15_000);
      fleet.startAgent(agent);
      return undefined;
    },
  };
}
