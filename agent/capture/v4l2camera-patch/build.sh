#!/usr/bin/env bash
# Builds node-v4l2camera 1.0.4 (npm "v4l2camera") for the running Node (20+) with node20.patch applied,
# into .facefleet/v4l2camera/ (or $1). The published package does not compile on Node 20: it asks
# for -std=c++14/-std=c11 (V8 needs C++17; strict C11 hides struct timeval from videodev2.h) and uses
# V8 APIs removed since (Value::ToObject/Uint32Value/Int32Value without a context, info.Callee(),
# ArrayBuffer::New with ArrayBufferCreationMode). The patch swaps those for their Nan equivalents.
#
# Needs: npm (registry), a C/C++ toolchain, make, python3, Node headers (node-gyp finds them under
# the node install prefix, e.g. /usr/include/node, or downloads them), linux-libc-dev.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
out="${1:-$root/.facefleet/v4l2camera}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm pack --silent v4l2camera@1.0.4 >/dev/null
tar xzf v4l2camera-1.0.4.tgz
cd package
patch -p1 --quiet < "$here/node20.patch"
npm install --silent --no-audit --no-fund --ignore-scripts --omit=dev nan@2 >/dev/null
nodedir="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
gyp="$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js"
if [ -f "$nodedir/include/node/node.h" ]; then
  node "$gyp" rebuild --nodedir="$nodedir" >build.log 2>&1 || { tail -20 build.log >&2; exit 1; }
else
  node "$gyp" rebuild >build.log 2>&1 || { tail -20 build.log >&2; exit 1; }
fi
rm -rf "$out.partial"
mkdir -p "$out.partial/build/Release"
cp index.js package.json LICENSE-MIT.txt LICENSE-LGPL-3.0.txt "$out.partial/"
cp build/Release/v4l2camera.node "$out.partial/build/Release/"
rm -rf "$out"
mv "$out.partial" "$out"
echo "built $out/build/Release/v4l2camera.node for node $(node -v)"
