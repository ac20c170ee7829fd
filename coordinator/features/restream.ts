/**
 * The coordinator's own re-streams (config `restream`, as `facefleet restream` does from outside): for each
 * entry, a live-view viewer that watches the camera, so the agents annotate it as they do for a dashboard viewer
 * (the live view publishes the demand with its lease and refreshes it); the camera's newest annotated frame,
 * taken from the live view's feed on each `annotatedFrame` of the bus; and a StreamPublisher (media/) that sends
 * it to `to` through ffmpeg at `fps`, repeating the newest frame between new ones and starting ffmpeg again with
 * a backoff when the server goes away. Started after the live view and stopped before it: stopping ends each
 * ffmpeg (its stdin is closed, SIGKILL after 3 s) and leaves the viewers, so agents stop annotating cameras
 * nobody else watches.
 */
import { StreamPublisher } from "../../media/stream-publisher.js";
import type { LiveViewer } from "../control.js";
import type { Feature, FeatureContext } from "../feature.js";
import type { CameraMedia } from "../media/camera-media.js";

/** What the re-streams need of the live view (features/live-view.ts). */
export type LiveViewSource = { viewer(): LiveViewer; media(): CameraMedia };

type Restream = { camera: string; to: string; viewer: LiveViewer; publisher: StreamPublisher; received: number };

export class RestreamFeature implements Feature {
  readonly name = "restream";
  private readonly restreams: Restream[] = [];
  private readonly unsubscribe: (() => void)[] = [];

  constructor(private readonly liveView: LiveViewSource) {}

  async start({ config, bus, log }: FeatureContext): Promise<void> {
    const media = this.liveView.media();
    for (const { camera, to, fps } of config.restream) {
      let latest = media.latest(camera)?.jpeg; // a frame a dashboard viewer had asked for already
      const restream: Restream = {
        camera,
        to,
        viewer: this.liveView.viewer(),
        publisher: new StreamPublisher({
          target: to,
          fps,
          frame: () => latest,
          log: (line) => log(`restream ${camera}: ${line}`),
        }),
        received: 0,
      };
      this.unsubscribe.push(
        bus.on("annotatedFrame", (frame) => {
          if (frame.camera !== camera) return;
          const newest = media.latest(camera)?.jpeg;
          if (!newest) return;
          if (restream.received === 0) log(`restream ${camera}: first annotated frame, publishing to ${to}`);
          latest = newest;
          restream.received++;
        }),
      );
      restream.viewer.watch([camera]);
      restream.publisher.start();
      this.restreams.push(restream);
      log(`restream ${camera}: watching the camera, publishing to ${to} at ${fps} fps once it has an annotated frame`);
    }
  }

  async stop(): Promise<void> {
    for (const off of this.unsubscribe.splice(0)) off();
    const restreams = this.restreams.splice(0);
    await Promise.all(restreams.map((r) => r.publisher.stop()));
    for (const r of restreams) r.viewer.leave();
  }
}
