/**
 * Loaded into ONE `facefleet` process of a fault test with `NODE_OPTIONS=--import <this file's URL>`, it changes
 * what that process alone sees, as a network namespace or a wrong system clock would:
 *  - FACEFLEET_FAULT_REDIRECT="FROM:TO,…": TCP connections to 127.0.0.1:FROM go to 127.0.0.1:TO instead (a Kafka
 *    broker's advertised port → a testing/tcp-proxy.ts in front of it: the client's metadata still names the broker,
 *    so the proxy must be chosen below the client library, here in `net.connect`);
 *  - FACEFLEET_FAULT_CLOCK_OFFSET_MS=N: `Date.now()` and `new Date()` are N ms ahead (negative: behind), as on a
 *    device whose clock is off; monotonic clocks (performance.now, timers) are unchanged, as they are on such a device.
 */
import net from "node:net";

const redirects = new Map<number, number>();
for (const pair of (process.env.FACEFLEET_FAULT_REDIRECT ?? "").split(",").filter(Boolean)) {
  const [from, to] = pair.split(":").map(Number);
  if (!Number.isInteger(from) || !Number.isInteger(to)) throw new Error(`FACEFLEET_FAULT_REDIRECT: '${pair}' is not FROM:TO`);
  redirects.set(from as number, to as number);
}

if (redirects.size > 0) {
  const redirect = (args: unknown[]): unknown[] => {
    const [first] = args;
    if (first && typeof first === "object" && "port" in first) {
      const options = first as net.TcpNetConnectOpts;
      const to = redirects.get(Number(options.port));
      if (to !== undefined) return [{ ...options, port: to }, ...args.slice(1)];
    } else if (typeof first === "number" || (typeof first === "string" && /^\d+$/.test(first))) {
      const to = redirects.get(Number(first));
      if (to !== undefined) return [to, ...args.slice(1)];
    }
    return args;
  };
  const connect = net.connect;
  const patched = ((...args: unknown[]) => (connect as (...a: unknown[]) => net.Socket)(...redirect(args))) as typeof net.connect;
  net.connect = patched;
  net.createConnection = patched;
}

const offset = Number(process.env.FACEFLEET_FAULT_CLOCK_OFFSET_MS ?? 0);
if (!Number.isFinite(offset)) throw new Error("FACEFLEET_FAULT_CLOCK_OFFSET_MS must be a number of milliseconds");
if (offset !== 0) {
  const RealDate = Date;
  const realNow = RealDate.now.bind(RealDate);
  class SkewedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(realNow() + offset);
      else super(...(args as [string | number | Date]));
    }
    static override now(): number {
      return realNow() + offset;
    }
  }
  globalThis.Date = SkewedDate as DateConstructor;
}

// FACEFLEET_FAULT_MEMORY_FILE=PATH: this process's memory (rss, heap) written there every 5 s, for the soak.
const memoryFile = process.env.FACEFLEET_FAULT_MEMORY_FILE;
if (memoryFile) {
  const { renameSync, writeFileSync } = await import("node:fs");
  const write = () => {
    const m = process.memoryUsage();
    const temp = `${memoryFile}.tmp`;
    writeFileSync(temp, JSON.stringify({ at: Date.now(), rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external }));
    renameSync(temp, memoryFile);
  };
  write();
  setInterval(write, 5000).unref();
}
