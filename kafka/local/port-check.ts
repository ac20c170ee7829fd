import net from "node:net";
import { FacefleetError } from "../../core/errors.js";

/** Fails with a clear message when something already listens on host:port. */
export async function assertPortFree(host: string, port: number, what: string, flag: string): Promise<void> {
  const error = await new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    const server = net.createServer();
    server.once("error", (e: NodeJS.ErrnoException) => resolve(e));
    server.listen({ host, port, exclusive: true }, () => server.close(() => resolve(undefined)));
  });
  if (error === undefined) return;
  if (error.code === "EADDRINUSE") {
    throw new FacefleetError(
      `${what} port ${host}:${port} is already in use (another Kafka or program?); stop it or choose another with ${flag}`,
    );
  }
  throw new FacefleetError(`cannot listen on ${host}:${port} for the ${what}: ${error.message}`);
}
