/**
 * The agent's GET /metrics (config `metrics`, metrics-settings.ts): plain node:http, the text of `render()` on each
 * scrape (agent-metrics.ts) as the Prometheus text format 0.0.4. HEAD answers the same headers; any other path is
 * 404, any other method on /metrics 405. No authentication (see metrics-settings.ts): it listens on 127.0.0.1 unless
 * configured otherwise.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { FacefleetError } from "../../core/errors.js";
import { EXPOSITION_CONTENT_TYPE } from "../../core/metrics/exposition.js";
import type { AgentMetricsSettings } from "./metrics-settings.js";

export const METRICS_PATH = "/metrics";

export type MetricsServer = {
  /** `http://host:port/metrics` with the port it listens on. */
  url: string;
  port: number;
  close(): Promise<void>;
};

function pathOf(request: IncomingMessage): string {
  const url = request.url ?? "/";
  const query = url.indexOf("?");
  return query === -1 ? url : url.slice(0, query);
}

/** Listens on `settings.host:settings.port`; rejects with a FacefleetError naming `metrics.port` when it cannot. */
export async function startMetricsServer(
  settings: Pick<AgentMetricsSettings, "host" | "port">,
  render: () => string,
  log: (line: string) => void = () => {},
): Promise<MetricsServer> {
  let failures = 0;
  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    if (pathOf(request) !== METRICS_PATH) {
      response.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end(`not found: the metrics are at ${METRICS_PATH}\n`);
      return;
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      response.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain; charset=utf-8" }).end("method not allowed\n");
      return;
    }
    let text: string;
    try {
      text = render();
    } catch (error) {
      // A bug in a series must not take the agent down: the scrape fails (Prometheus shows it as up == 0).
      if (failures++ % 100 === 0) log(`metrics: could not write the exposition: ${(error as Error).message}`);
      response.writeHead(500, { "content-type": "text/plain; charset=utf-8" }).end("could not write the metrics\n");
      return;
    }
    response.writeHead(200, {
      "content-type": EXPOSITION_CONTENT_TYPE,
      "cache-control": "no-store",
      "content-length": Buffer.byteLength(text),
    });
    response.end(request.method === "HEAD" ? undefined : text);
  });
  // A scraper that opens a connection and says nothing is dropped (not kept open for the default 5 minutes).
  server.requestTimeout = 10_000;
  server.headersTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${settings.host}:${settings.port}`;
      reject(
        new FacefleetError(
          error.code === "EADDRINUSE"
            ? `metrics.port: ${where} is in use (another agent or exporter on this machine?): choose another port`
            : error.code === "EADDRNOTAVAIL" || error.code === "ENOTFOUND"
              ? `metrics.host: ${settings.host} is not an address of this machine`
              : `metrics: cannot listen on ${where}: ${error.message}`,
        ),
      );
    };
    server.once("error", onError);
    server.listen(settings.port, settings.host, () => {
      server.off("error", onError);
      resolve();
    });
  });
  server.on("error", (error) => log(`metrics: ${error.message}`));
  const port = (server.address() as AddressInfo).port;
  const host = settings.host.includes(":") ? `[${settings.host}]` : settings.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}${METRICS_PATH}`,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
