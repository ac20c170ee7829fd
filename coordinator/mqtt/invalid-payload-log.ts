/**
 * The log of MQTT payloads the coordinator skipped, kept from flooding: each (agent, topic kind, problem) is
 * logged once, and at most `maxLines` lines go out per `windowMs` whatever the variety (a client sending a
 * new kind of garbage under a new agent id every millisecond); what was not logged is counted and said in the
 * next line. Agent ids and problems are cut to a printable length; the set of keys already logged is bounded.
 */
export class InvalidPayloadLog {
  /** Every payload skipped since the start. */
  skipped = 0;
  private readonly logged = new Set<string>();
  private windowStart = 0;
  private linesInWindow = 0;
  private unlogged = 0;

  constructor(
    private readonly log: (line: string) => void,
    private readonly options = { maxLines: 10, windowMs: 10_000, maxKeys: 1000 },
    private readonly now = Date.now,
  ) {}

  note(agentId: string, what: string, problem: string): void {
    this.skipped++;
    const line = `mqtt: ignored an invalid ${what} from ${cut(agentId, 64)}: ${cut(problem, 200)}`;
    if (this.logged.has(line)) return;
    const now = this.now();
    if (now - this.windowStart >= this.options.windowMs) {
      this.windowStart = now;
      this.linesInWindow = 0;
    }
    if (this.linesInWindow >= this.options.maxLines) {
      this.unlogged++;
      return;
    }
    if (this.logged.size >= this.options.maxKeys) this.logged.clear();
    this.logged.add(line);
    this.linesInWindow++;
    const more = this.unlogged > 0 ? ` (and ${this.unlogged} more not logged)` : "";
    this.unlogged = 0;
    this.log(`${line}${more}`);
  }
}

function cut(text: string, max: number): string {
  const printable = text.replace(/[^\x20-\x7e]/g, "?");
  return printable.length > max ? `${printable.slice(0, max)}…` : printable;
}
