import { readFileSync } from "node:fs";
import { UsageError } from "../../core/errors.js";
import { StreamPublisher } from "../../media/stream-publisher.js";
import { streamProtocolOf } from "../../media/stream-target.js";
import type { Command } from "../main.js";
import { parseNumberOption, parseOptions, requireString } from "../parse-options.js";
import { LiveFrames } from "../restream/live-frames.js";

const help = `usage: facefleet restream --camera ID --to URL [options]

Re-streams a camera's annotated frames (boxes and names, as the dashboard's Live view shows them) as a live
H.264 stream that VLC and ffplay open: RTMP to an RTMP server (rtmp://host/live/stream-<camera>), or RTSP to
a server that accepts a publisher. It watches the camera through the coordinator's API, so the agents annotate
it while the re-stream runs; it reconnects to the coordinator and to the server when either goes away, and
runs until Ctrl-C. The coordinator can do the same by itself: \`restream\` in its config (coordinator/README.md).

  --camera ID          the camera to re-stream
  --to URL             rtmp://… or rtsp://… to publish to
  --coordinator URL    the coordinator's API (default http://127.0.0.1:8080)
  --token TOKEN        its API token (default: $FACEFLEET_API_TOKEN, or --token-file)
  --token-file FILE    a file holding the token (the coordinator keeps it in <stateDir>/api-token)
  --fps N              frames per second of the stream (default 5; the newest frame is repeated between frames)
  -h, --help           this text

Example, with npm run demo running:
  facefleet restream --camera camera-1 --to rtmp://127.0.0.1/live/stream-camera-1 --token-file .facefleet/demo/coordinator/api-token
  ffplay rtmp://127.0.0.1/live/stream-camera-1`;

function tokenOf(values: { token?: string; "token-file"?: string }): string {
  if (values.token) return values.token;
  if (values["token-file"]) {
    try {
      return readFileSync(values["token-file"], "utf8").trim();
    } catch (error) {
      throw new UsageError(`cannot read --token-file ${values["token-file"]}: ${(error as NodeJS.ErrnoException).code ?? error}`);
    }
  }
  const fromEnv = process.env.FACEFLEET_API_TOKEN;
  if (fromEnv) return fromEnv;
  throw new UsageError("the coordinator's API token is needed: --token, --token-file or FACEFLEET_API_TOKEN");
}

export const restreamCommand: Command = {
  summary: "re-stream a camera's annotated frames to RTMP or RTSP (VLC, ffplay)",
  async run(args) {
    const { values, positionals } = parseOptions(args, {
      camera: { type: "string" },
      to: { type: "string" },
      coordinator: { type: "string", default: "http://127.0.0.1:8080" },
      token: { type: "string" },
      "token-file": { type: "string" },
      fps: { type: "string" },
      help: { type: "boolean", short: "h" },
    });
    if (values.help) {
      process.stdout.write(`${help}\n`);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0]}'`);
    const camera = requireString(values, "camera");
    const target = requireString(values, "to");
    if (!streamProtocolOf(target)) throw new UsageError(`--to must be an rtmp:// or rtsp:// URL, got '${target}'`);
    const coordinator = values.coordinator.replace(/\/+$/, "");
    if (!/^https?:\/\/[^/]+$/.test(coordinator))
      throw new UsageError(`--coordinator must be http://host:port, got '${values.coordinator}'`);
    const fps = parseNumberOption("fps", values.fps, 0.5, 60) ?? 5;
    const token = tokenOf(values);
    const log = (line: string) => process.stderr.write(`restream ${camera}: ${line}\n`);

    const frames = new LiveFrames({ coordinator, token, camera, log });
    const publisher = new StreamPublisher({ target, fps, frame: () => frames.latest, log });
    frames.start();
    publisher.start();
    log(`watching ${camera} at ${coordinator}, publishing to ${target} at ${fps} fps`);
    const progress = setInterval(
      () => log(`${frames.received} annotated frames received, ${publisher.written} pictures sent, ffmpeg restarts ${publisher.restarts}`),
      10_000,
    );
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    clearInterval(progress);
    frames.stop();
    await publisher.stop();
    log(`stopped: ${frames.received} annotated frames received, ${publisher.written} pictures sent`);
    return 0;
  },
};
