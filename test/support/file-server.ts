import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A loopback HTTP server standing in for a download's upstream: serves the given bodies by path, answers
 * `Range: bytes=N-` with 206 (416 past the end), 404 for anything else, and records each request.
 */
export async function startFileServer(files: Map<string, Buffer>) {
  const requests: { path: string; range: string | null }[] = [];
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? "/", "http://localhost").pathname;
    const range = request.headers.range ?? null;
    requests.push({ path, range });
    const body = files.get(path);
    if (!body) {
      response.writeHead(404).end();
      return;
    }
    const start = range ? Number(/bytes=(\d+)-/.exec(range)?.[1] ?? 0) : 0;
    if (range && start >= body.length) {
      response.writeHead(416, { "content-range": `bytes */${body.length}` }).end();
      return;
    }
    if (range) response.writeHead(206, { "content-range": `bytes ${start}-${body.length - 1}/${body.length}` });
    else response.writeHead(200, { "content-length": body.length });
    response.end(body.subarray(start));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { baseUrl, requests, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}
