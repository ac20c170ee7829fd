#!/usr/bin/python3
"""A real RTSP server for the capture tests: GStreamer's gst-rtsp-server (Debian packages gir1.2-gst-rtsp-server-1.0,
python3-gst-1.0, gstreamer1.0-plugins-good/-bad) serving an H.264 MP4 file at rtsp://127.0.0.1:PORT/PATH.

Each client session plays the file from its start (its H.264 stream re-packetised, not re-encoded); at the end of the
file the session ends, as a camera's stream can. Prints "ready" once listening; runs until killed.

    /usr/bin/python3 test/support/rtsp-server.py PORT PATH FILE.mp4
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> None:
    port, path, clip = sys.argv[1], sys.argv[2], sys.argv[3]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(f'( filesrc location="{clip}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )')
    factory.set_shared(False)
    server.get_mount_points().add_factory(f"/{path}", factory)
    if server.attach(None) == 0:
        print(f"cannot listen on port {port}", file=sys.stderr, flush=True)
        sys.exit(1)
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
