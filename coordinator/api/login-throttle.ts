/**
 * Guessing the dashboard password or the token through POST /api/login is slowed down per client address: after
 * `freeFailures` wrong attempts, every further attempt is refused (429, with Retry-After) for a lock-out that doubles
 * with each failure after that, up to `maxLockoutMs`; a client quiet for `windowMs` after its last failure and
 * lock-out starts over. A right login ends the record. At most
 * `maxClients` addresses are remembered (the oldest forgotten first), so a flood of addresses cannot grow memory.
 */
export type LoginThrottleOptions = {
  freeFailures?: number;
  windowMs?: number;
  firstLockoutMs?: number;
  maxLockoutMs?: number;
  maxClients?: number;
  now?: () => number;
};

type Record_ = { failures: number; lastAt: number; lockedUntil: number };

export class LoginThrottle {
  private readonly clients = new Map<string, Record_>();
  private readonly freeFailures: number;
  private readonly windowMs: number;
  private readonly firstLockoutMs: number;
  private readonly maxLockoutMs: number;
  private readonly maxClients: number;
  private readonly now: () => number;

  constructor(o: LoginThrottleOptions = {}) {
    this.freeFailures = o.freeFailures ?? 5;
    this.windowMs = o.windowMs ?? 60_000;
    this.firstLockoutMs = o.firstLockoutMs ?? 5_000;
    this.maxLockoutMs = o.maxLockoutMs ?? 15 * 60_000;
    this.maxClients = o.maxClients ?? 10_000;
    this.now = o.now ?? Date.now;
  }

  /** Milliseconds the client must wait before it may try again; 0 when it may try now. */
  waitMs(client: string): number {
    const record = this.clients.get(client);
    return record ? Math.max(0, record.lockedUntil - this.now()) : 0;
  }

  failed(client: string): void {
    const now = this.now();
    let record = this.clients.get(client);
    // A client quiet for a whole window (after its last failure and after its lock-out) starts over.
    if (!record || now - Math.max(record.lastAt, record.lockedUntil) > this.windowMs) record = { failures: 0, lastAt: now, lockedUntil: 0 };
    this.clients.delete(client); // re-inserted last: the Map's order is the age order
    record.failures++;
    record.lastAt = now;
    const over = record.failures - this.freeFailures + 1;
    if (over > 0) record.lockedUntil = now + Math.min(this.maxLockoutMs, this.firstLockoutMs * 2 ** (over - 1));
    this.clients.set(client, record);
    while (this.clients.size > this.maxClients) {
      const oldest = this.clients.keys().next().value;
      if (oldest === undefined) break;
      this.clients.delete(oldest);
    }
  }

  succeeded(client: string): void {
    this.clients.delete(client);
  }
}
