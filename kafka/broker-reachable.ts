import net from "node:net";
import { FacefleetError } from "../core/errors.js";
import type { KafkaConnection } from "./connection-config.js";

const reasons: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  ETIMEDOUT: "timed out",
};

/** Opens (and closes) a TCP connection to host:port; the reason it failed, or undefined when it connected. */
function probe(address: string, timeoutMs: number): Promise<string | undefined> {
  const colon = address.lastIndexOf(":");
  const host = address.slice(0, colon);
  const port = Number(address.slice(colon + 1));
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (reason: string | undefined) => {
      socket.destroy();
      clearTimeout(timer);
      resolve(reason);
    };
    const timer = setTimeout(() => done(`no answer within ${timeoutMs} ms`), timeoutMs);
    socket.once("connect", () => done(undefined));
    socket.once("error", (error: NodeJS.ErrnoException) => done(reasons[error.code ?? ""] ?? error.code ?? error.message));
  });
}

/**
 * Fails at once, in one line naming the addresses, when no bootstrap broker accepts a TCP connection.
 * kafkajs retries a refused connection for about ten seconds before it gives up; a short command that
 * checks first answers within `connectionTimeoutMs` instead. A broker that accepts the connection but
 * then fails (TLS, SASL, an advertised listener that cannot be reached) is left to kafkajs's own error.
 */
export async function assertBrokersReachable(connection: Pick<KafkaConnection, "brokers" | "connectionTimeoutMs">): Promise<void> {
  const failures = await Promise.all(connection.brokers.map((b) => probe(b, connection.connectionTimeoutMs)));
  if (failures.some((reason) => reason === undefined)) return;
  const detail = connection.brokers.map((b, i) => `${b} (${failures[i]})`).join(", ");
  throw new FacefleetError(`cannot reach the Kafka broker${connection.brokers.length > 1 ? "s" : ""} at ${detail}`);
}
