/**
 * The newest annotated frame of one camera, from the coordinator's API as the dashboard's Live view gets it:
 * a WebSocket on /api/stream that sends `watch` for the camera (so the agents annotate it, protocol/live-view.ts),
 * then GET /api/cameras/<camera>/latest.jpg on each of its `frame` messages (one fetch at a time, the newest
 * wins). The connection is made again after a backoff when it drops (coordinator restart, network).
 */
import WebSocket from "ws";
import { streamMessageSchema } from "../../protocol/api.js";

export type LiveFramesOptions = {
  /** http://host:port of the coordinator. */
  coordinator: string;
  token: string;
  camera: string;
  log: (line: string) => void;
};

export class LiveFrames {
  /** The newest JPEG, or undefined before the first. */
  latest: Buffer | undefined;
  received = 0;
  private socket: WebSocket | undefined;
  private fetching = false;
  private again = false;
  private stopped = false;
  private retry: NodeJS.Timeout | undefined;
  private backoffMs = 1000;

  constructor(private readonly o: LiveFramesOptions) {}

  start(): void {
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retry);
    this.socket?.close();
  }

  private connect(): void {
    const url = `${this.o.coordinator.replace(/^http/, "ws")}/api/stream`;
    const socket = new WebSocket(url, { headers: { authorization: `Bearer ${this.o.token}` } });
    this.socket = socket;
    socket.on("open", () => {
      this.backoffMs = 1000;
      socket.send(JSON.stringify({ type: "watch", cameras: [this.o.camera] }));
      void this.fetchLatest(); // a frame made before this connection, if any
    });
    socket.on("message", (data) => {
      const parsed = streamMessageSchema.safeParse(JSON.parse(String(data)));
      if (parsed.success && parsed.data.type === "frame" && parsed.data.camera === this.o.camera) void this.fetchLatest();
    });
    socket.on("unexpected-response", (_request, response) => {
      this.o.log(`coordinator refused the stream: HTTP ${response.statusCode}${response.statusCode === 401 ? " (wrong API token)" : ""}`);
    });
    socket.on("error", () => undefined); // the close that follows reconnects
    socket.on("close", () => {
      if (this.stopped) return;
      this.o.log(`stream from ${this.o.coordinator} closed; connecting again in ${this.backoffMs / 1000} s`);
      this.retry = setTimeout(() => this.connect(), this.backoffMs);
      this.backoffMs = Math.min(30_000, this.backoffMs * 2);
    });
  }

  private async fetchLatest(): Promise<void> {
    if (this.fetching) {
      this.again = true;
      return;
    }
    this.fetching = true;
    try {
      do {
        this.again = false;
        const response = await fetch(`${this.o.coordinator}/api/cameras/${encodeURIComponent(this.o.camera)}/latest.jpg`, {
          headers: { authorization: `Bearer ${this.o.token}` },
        });
        if (response.ok) {
          this.latest = Buffer.from(await response.arrayBuffer());
          this.received++;
        } else await response.body?.cancel();
      } while (this.again && !this.stopped);
    } catch {
      // the stream's close reconnects; a lost fetch is made up by the next frame
    } finally {
      this.fetching = false;
    }
  }
}
