/**
 * Debian's nginx with libnginx-mod-rtmp as a real RTMP server for a test: `live` application on 127.0.0.1:PORT.
 * With `hlsPort`, the same streams are also HLS (nginx-rtmp's `hls on`: 1 s fragments written to a folder that
 * nginx's http module serves at http://127.0.0.1:HLS_PORT/hls/<key>.m3u8).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const RTMP_MODULE = "/usr/lib/nginx/modules/ngx_rtmp_module.so";

export type RtmpServer = {
  url: (key: string) => string;
  /** The stream's HLS playlist; only with `hlsPort`. */
  hlsUrl: (key: string) => string;
  stop(): Promise<void>;
};

export async function startRtmpServer(port: number, options: { hlsPort?: number } = {}): Promise<RtmpServer> {
  const dir = mkdtempSync(path.join(tmpdir(), "facefleet-rtmp-"));
  const conf = path.join(dir, "nginx.conf");
  const hlsDir = path.join(dir, "hls");
  const { hlsPort } = options;
  const hls = hlsPort === undefined ? "" : ` hls on; hls_path ${hlsDir}; hls_fragment 1s; hls_playlist_length 6s;`;
  writeFileSync(
    conf,
    [
      `load_module ${RTMP_MODULE};`,
      "daemon off;",
      "master_process off;",
      `pid ${path.join(dir, "nginx.pid")};`,
      "error_log stderr warn;",
      "events { worker_connections 64; }",
      `rtmp { access_log off; server { listen 127.0.0.1:${port}; application live { live on; record off;${hls} } } }`,
      ...(hlsPort === undefined
        ? []
        : [
            "http { access_log off; types { application/vnd.apple.mpegurl m3u8; video/mp2t ts; }",
            `  server { listen 127.0.0.1:${hlsPort}; location /hls/ { alias ${hlsDir}/; add_header Cache-Control no-cache; } } }`,
          ]),
      "",
    ].join("\n"),
  );
  const child: ChildProcess = spawn("nginx", ["-p", dir, "-c", conf], { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d) => (stderr += d));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.once("error", () => undefined);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(
        `nginx (RTMP) did not start: ${stderr.trim() || "exited"} (scripts/setup.sh --tests installs nginx-light and libnginx-mod-rtmp)`,
      );
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, "127.0.0.1", () => {
        socket.end();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (open) break;
    if (Date.now() > deadline) throw new Error(`nginx (RTMP) not listening on ${port}: ${stderr.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    url: (key) => `rtmp://127.0.0.1:${port}/live/${key}`,
    hlsUrl: (key) => {
      if (hlsPort === undefined) throw new Error("this RTMP server was started without hlsPort");
      return `http://127.0.0.1:${hlsPort}/hls/${key}.m3u8`;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
