import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `promise`, or a rejection naming the step when it takes longer than `timeoutMs` (so a hang says where). */
export function within<T>(step: string, promise: Promise<T>, timeoutMs = 10_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`stuck for ${timeoutMs} ms at: ${step}`)), timeoutMs);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** Connects once; rejects with the broker's refusal (no reconnect). */
export function connectOnce(url: string, options: IClientOptions = {}): Promise<MqttClient> {
  return new Promise((resolve, reject) => {
    const client = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...options });
    client.once("connect", () => resolve(client));
    client.once("error", (error) => {
      client.end(true);
      reject(error);
    });
  });
}

export type Received = { topic: string; payload: string; retain: boolean };

/** A subscriber that records every message and can wait for one that matches. */
export class Recorder {
  readonly messages: Received[] = [];
  private waiters: { match: (m: Received) => boolean; resolve: (m: Received) => void }[] = [];

  constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload, packet) => {
      const m = { topic, payload: payload.toString(), retain: packet.retain };
      this.messages.push(m);
      this.waiters = this.waiters.filter((w) => {
        if (!w.match(m)) return true;
        w.resolve(m);
        return false;
      });
    });
  }

  static async start(url: string, options: IClientOptions, topics: string[]): Promise<Recorder> {
    const client = await connectOnce(url, options);
    const recorder = new Recorder(client);
    await client.subscribeAsync(topics, { qos: 1 });
    return recorder;
  }

  /** The first message (already received or to come) that matches, within `timeoutMs`. */
  waitFor(match: (m: Received) => boolean, timeoutMs = 10_000, what = "message"): Promise<Received> {
    const seen = this.messages.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
      this.waiters.push({
        match,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  /** Like waitFor, but only among messages received after this call. */
  next(match: (m: Received) => boolean, timeoutMs = 10_000, what = "message"): Promise<Received> {
    const from = this.messages.length;
    return this.waitFor((m) => this.messages.indexOf(m) >= from && match(m), timeoutMs, what);
  }

  /** Closes at once: a graceful end() can wait forever for an acknowledgement a test no longer cares about. */
  async close(): Promise<void> {
    const ended = this.client.endAsync(true).catch(() => undefined);
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
  }
}
