import type { CameraSelection, StreamClientMessage, StreamMessage } from "../../../protocol/api.js";

/** Everything the dashboard reads from GET /api/stream. */
export type DashboardMessage = StreamMessage;
/** A camera has a new annotated frame at /api/cameras/:camera/latest.jpg. */
export type FrameMessage = Extract<StreamMessage, { type: "frame" }>;

export type StreamStatus = "connecting" | "open" | "down";

export interface StreamHandlers {
  onMessage(message: DashboardMessage): void;
  onStatus(status: StreamStatus): void;
  /** Before each reconnect: a cheap request that turns an expired session into a 401 (→ login page). */
  beforeReconnect?(): Promise<void>;
}

const KNOWN_TYPES = new Set<string>([
  "snapshot",
  "plan",
  "agent",
  "event",
  "frame",
  "gallery",
  "alert",
] satisfies DashboardMessage["type"][]);
const MIN_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;

function streamUrl(): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/stream`;
}

/**
 * The WebSocket to /api/stream, reconnecting with exponential backoff (with jitter) while started.
 * The server sends a `snapshot` first on every connection, so a reconnect needs no bookkeeping here.
 */
export class StreamClient {
  private socket: WebSocket | null = null;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private failures = 0;
  private stopped = true;
  private watched: CameraSelection = [];

  constructor(private readonly handlers: StreamHandlers) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, "dashboard closed");
  }

  /**
   * The cameras the live view shows (the coordinator has the agents annotate them while some connection watches
   * them); sent now and again on every reconnect. `[]`: none.
   */
  watch(cameras: CameraSelection): void {
    this.watched = cameras;
    this.sendWatch();
  }

  private sendWatch(): void {
    const socket = this.socket;
    if (socket === null || socket.readyState !== WebSocket.OPEN) return;
    const message: StreamClientMessage = { type: "watch", cameras: this.watched };
    socket.send(JSON.stringify(message));
  }

  private connect(): void {
    if (this.stopped) return;
    this.handlers.onStatus(this.failures === 0 ? "connecting" : "down");
    const socket = new WebSocket(streamUrl());
    this.socket = socket;
    socket.onopen = () => {
      if (socket !== this.socket) return;
      this.failures = 0;
      this.sendWatch();
      this.handlers.onStatus("open");
    };
    socket.onmessage = (event) => {
      if (socket !== this.socket || typeof event.data !== "string") return;
      let message: unknown;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      const type = (message as { type?: unknown } | null)?.type;
      if (typeof type === "string" && KNOWN_TYPES.has(type)) this.handlers.onMessage(message as DashboardMessage);
    };
    socket.onclose = () => {
      if (socket !== this.socket) return;
      this.socket = null;
      this.handlers.onStatus("down");
      this.scheduleReconnect();
    };
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    const base = Math.min(MAX_DELAY_MS, MIN_DELAY_MS * 2 ** this.failures);
    this.failures += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    this.timer = setTimeout(async () => {
      this.timer = null;
      try {
        await this.handlers.beforeReconnect?.();
      } catch {
        // A 401 already sent the app to the login page (which stops this client); otherwise retry anyway.
      }
      this.connect();
    }, delay);
  }
}
