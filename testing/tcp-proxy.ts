/**
 * A TCP proxy that a fault test controls, standing between one client and a broker (Kafka or MQTT) so that
 * the network between them can fail while everything else keeps talking: `cut()` is a partition (bytes stop
 * in both directions and new connections are accepted but never reach the broker; nothing is reset, as when a
 * cable is pulled), `heal()` lets the held bytes and connections through again (TCP's retransmission after a
 * partition heals), `close()` ends it all.
 */
import net from "node:net";

type Pair = { client: net.Socket; upstream: net.Socket | undefined };

export class TcpProxy {
  private readonly pairs = new Set<Pair>();
  private cutNow = false;
  private constructor(
    private readonly server: net.Server,
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  /** Listens on 127.0.0.1:`port`, forwarding to `target`. */
  static async start(port: number, target: { host: string; port: number }): Promise<TcpProxy> {
    let proxy: TcpProxy | undefined;
    const server = net.createServer((client) => proxy?.accept(client));
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => resolve());
    });
    proxy = new TcpProxy(server, port, target);
    return proxy;
  }

  get isCut(): boolean {
    return this.cutNow;
  }

  /** Connections open now (client side). */
  get connections(): number {
    return this.pairs.size;
  }

  /** Stops every byte in both directions; connections stay open, new ones wait. */
  cut(): void {
    this.cutNow = true;
    for (const pair of this.pairs) {
      pair.client.pause();
      pair.upstream?.pause();
    }
  }

  /** Lets everything through again: held bytes flow, waiting connections reach the broker. */
  heal(): void {
    this.cutNow = false;
    for (const pair of this.pairs) {
      if (!pair.upstream) this.connectUpstream(pair);
      pair.client.resume();
      pair.upstream?.resume();
    }
  }

  async close(): Promise<void> {
    for (const pair of this.pairs) {
      pair.client.destroy();
      pair.upstream?.destroy();
    }
    this.pairs.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    const pair: Pair = { client, upstream: undefined };
    this.pairs.add(pair);
    client.on("error", () => undefined);
    client.on("close", () => {
      pair.upstream?.destroy();
      this.pairs.delete(pair);
    });
    client.pause();
    if (!this.cutNow) this.connectUpstream(pair);
  }

  private connectUpstream(pair: Pair): void {
    const upstream = net.connect(this.target);
    pair.upstream = upstream;
    upstream.on("error", () => pair.client.destroy());
    upstream.on("close", () => pair.client.destroy());
    // Piped by hand (not stream.pipe) so that pause() holds the bytes where they are in both directions.
    pair.client.on("data", (chunk) => {
      if (!upstream.write(chunk)) pair.client.pause();
    });
    upstream.on("drain", () => {
      if (!this.cutNow) pair.client.resume();
    });
    upstream.on("data", (chunk) => {
      if (!pair.client.write(chunk)) upstream.pause();
    });
    pair.client.on("drain", () => {
      if (!this.cutNow) upstream.resume();
    });
    pair.client.on("end", () => upstream.end());
    upstream.on("end", () => pair.client.end());
    if (!this.cutNow) pair.client.resume();
    else upstream.pause();
  }
}
