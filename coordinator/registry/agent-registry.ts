/**
 * The coordinator's registry of agents, fed by MQTT: `agents/<id>/status` (retained online/offline,
 * the last will) and `agents/<id>/health`. An agent is live while its status is `online` and a health
 * report came within `missedHealthMs` (an agent that only just said `online`, or whose retained
 * `online` the coordinator found on a restart, has that long to send its first report).
 */
import type { AgentHealth } from "../../protocol/health.js";

export type AgentRecord = {
  id: string;
  status: "online" | "offline" | null;
  /** Epoch ms the coordinator received the status. */
  statusAt: number | null;
  health: AgentHealth | null;
  /** Epoch ms the coordinator received the last health report (the agent's clock is not trusted). */
  healthAt: number | null;
};

export class AgentRegistry {
  private readonly records = new Map<string, AgentRecord>();

  constructor(
    private readonly missedHealthMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  private record(id: string): AgentRecord {
    let record = this.records.get(id);
    if (!record) {
      record = { id, status: null, statusAt: null, health: null, healthAt: null };
      this.records.set(id, record);
    }
    return record;
  }

  /** A status payload; anything but `online`/`offline` is ignored (returns false). */
  noteStatus(id: string, payload: string): boolean {
    if (payload !== "online" && payload !== "offline") return false;
    const record = this.record(id);
    record.status = payload;
    record.statusAt = this.now();
    return true;
  }

  noteHealth(health: AgentHealth): void {
    const record = this.record(health.agentId);
    record.health = health;
    record.healthAt = this.now();
    // A health report is proof of life even if the retained status was lost (e.g. a broker restart).
    if (record.status === null) {
      record.status = "online";
      record.statusAt = record.healthAt;
    }
  }

  isLive(id: string, now = this.now()): boolean {
    const record = this.records.get(id);
    if (record?.status !== "online") return false;
    const lastSign = Math.max(record.healthAt ?? 0, record.statusAt ?? 0);
    return now - lastSign < this.missedHealthMs;
  }

  /** Live agent ids, sorted. */
  liveIds(now = this.now()): string[] {
    return [...this.records.keys()].filter((id) => this.isLive(id, now)).sort();
  }

  get(id: string): AgentRecord | undefined {
    return this.records.get(id);
  }

  /** Every agent ever seen, sorted by id. */
  all(): AgentRecord[] {
    return [...this.records.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** Epoch ms of the last status or health message. */
  lastSeen(id: string): number | null {
    const record = this.records.get(id);
    if (!record) return null;
    const last = Math.max(record.healthAt ?? 0, record.statusAt ?? 0);
    return last > 0 ? last : null;
  }
}
