/**
 * GET /api/stream: the dashboard's live feed over a WebSocket. On connect a `snapshot` (agents + plan),
 * then every StreamMessage of control.subscribe() as JSON text frames. The client may send `watch` (the
 * cameras its live view shows, protocol/api.ts): the connection is a live-view viewer (control.viewer()) until it closes. The upgrade is refused with 401
 * before it is accepted when the credentials are missing (auth.hook runs as the route's onRequest).
 * Dead clients are found by ping/pong, clients that cannot keep up are closed, and closeAll() ends
 * every connection when the server stops.
 */
import type { FastifyInstance } from "fastify";
import type { WebSocket } from "ws";
import { formatZodIssue } from "../../core/format-issue.js";
import { type StreamClientMessage, type StreamMessage, streamClientMessageSchema } from "../../protocol/api.js";
import type { CoordinatorControl } from "../control.js";
import type { ApiAuth } from "./auth.js";
import { oneLine } from "./errors.js";

export const STREAM_PATH = "/api/stream";
/** A client with more than this many bytes still unsent is too slow: it is closed (it reconnects and gets a fresh snapshot). */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const HEARTBEAT_MS = 30_000;
/** How long closeAll() waits for clients to answer the close handshake before dropping them. */
const CLOSE_GRACE_MS = 1_000;

export type StreamOptions = { control: CoordinatorControl; auth: ApiAuth; log: (line: string) => void; heartbeatMs?: number };

/** A client's text frame as a StreamClientMessage, or the one-line reason it is not one. */
function parseClientMessage(text: string): StreamClientMessage | string {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return "(root): not JSON";
  }
  const parsed = streamClientMessageSchema.safeParse(json);
  return parsed.success ? parsed.data : formatZodIssue(parsed.error);
}

export class StreamHub {
  private readonly clients = new Set<WebSocket>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly o: StreamOptions) {
    this.heartbeat = setInterval(() => this.beat(), o.heartbeatMs ?? HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  get size(): number {
    return this.clients.size;
  }

  /** Registers the WebSocket route; @fastify/websocket must be registered on `app` first. */
  register(app: FastifyInstance): void {
    app.route({
      method: "GET",
      url: STREAM_PATH,
      onRequest: this.o.auth.hook(true, "viewer"),
      // A plain GET (no upgrade) is told what the route is.
      handler: (_request, reply) =>
        reply
          .code(426)
          .header("upgrade", "websocket")
          .send({ error: "upgrade-required", message: `${STREAM_PATH} is a WebSocket` }),
      wsHandler: (socket) => this.accept(socket),
    });
  }

  private accept(socket: WebSocket): void {
    this.clients.add(socket);
    this.alive.add(socket);
    socket.on("pong", () => this.alive.add(socket));
    // The client's only message is `watch` (the live view's cameras); anything else closes it with 1008 naming the
    // field (ws caps the size with maxPayload).
    const viewer = this.o.control.viewer();
    socket.on("message", (data, isBinary) => {
      const message = isBinary ? undefined : parseClientMessage(data.toString());
      if (message === undefined || typeof message === "string") {
        socket.close(1008, oneLine(message ?? "binary frames are not accepted").slice(0, 120));
        return;
      }
      viewer.watch(message.cameras);
    });
    const send = (message: StreamMessage) => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > MAX_BUFFERED_BYTES) {
        socket.close(1013, "too slow: reconnect for a fresh snapshot");
        return;
      }
      socket.send(JSON.stringify(message));
    };
    let unsubscribe: (() => void) | undefined;
    socket.once("close", () => {
      this.clients.delete(socket);
      viewer.leave();
      unsubscribe?.();
    });
    try {
      // Snapshot and subscription in one synchronous step: no change can fall between them.
      send({ type: "snapshot", agents: this.o.control.agents(), plan: this.o.control.plan() });
      if (socket.readyState === socket.OPEN) unsubscribe = this.o.control.subscribe(send);
    } catch (error) {
      this.o.log(`api: ${STREAM_PATH}: snapshot failed: ${oneLine(error instanceof Error ? error.message : String(error))}`);
      socket.close(1011, "internal error");
    }
  }

  private beat(): void {
    for (const socket of this.clients) {
      if (!this.alive.has(socket)) {
        socket.terminate();
        continue;
      }
      this.alive.delete(socket);
      socket.ping();
    }
  }

  /** Closes every connection (1001 going away), drops those that do not finish the handshake in time. */
  async closeAll(): Promise<void> {
    clearInterval(this.heartbeat);
    const open = [...this.clients];
    if (open.length === 0) return;
    await new Promise<void>((resolve) => {
      let left = open.length;
      const timer = setTimeout(() => {
        for (const socket of open) socket.terminate();
        resolve();
      }, CLOSE_GRACE_MS);
      for (const socket of open) {
        socket.once("close", () => {
          left -= 1;
          if (left === 0) {
            clearTimeout(timer);
            resolve();
          }
        });
        socket.close(1001, "coordinator shutting down");
      }
    });
  }
}
