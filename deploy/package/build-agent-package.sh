#!/usr/bin/env bash
# Builds the device package of the facefleet agent: ONE .tar.gz per target architecture.
#
#   bash deploy/package/build-agent-package.sh [--arch arm64|x64] [--out DIR] [--models DIR] [--no-build]
#
#   --arch     target CPU (default: this machine's). The production dependencies are installed with
#              `npm ci --omit=dev --os=linux --cpu=<arch> --libc=glibc`, so an arm64 package carries sharp's
#              linux-arm64 libvips and onnxruntime-node's linux/arm64 binding, whatever the build host is.
#   --out      where the artifact goes (default .facefleet/packages/)
#   --models   also put the model files of models/manifest.json found in DIR (sha256-checked) into the
#              package, e.g. --models .facefleet/models:../shared/models. Without it the package carries only
#              the manifest; the device fetches (`facefleet models fetch`) or the operator copies the files.
#   --no-build skip `npm run build` (dist/ must be current)
#
# Result: <out>/facefleet-agent-<version>-linux-<arch>.tar.gz, one top folder of the same name holding
#   app/                  the npm pack contents (bin/, dist/, models/manifest.json, …) + production node_modules
#   models/               model files (only with --models)
#   agent.example.json    default agent config (deploy/package/agent.example.json)
#   facefleet-agent.service, install.sh, BUILD-INFO.json
# Everything is assembled in a temporary folder; the artifact is written as <name>.tar.gz.partial and
# renamed at the end, so a failure leaves nothing half-written behind.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
say() { echo "package: $*"; }
die() { echo "build-agent-package: $1" >&2; exit "${2:-1}"; }

case "$(uname -m)" in
  x86_64 | amd64) host_arch=x64 ;;
  aarch64 | arm64) host_arch=arm64 ;;
  *) host_arch="$(uname -m)" ;;
esac
arch="$host_arch"
out="$root/.facefleet/packages"
models=""
build=1
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) [ $# -ge 2 ] || die "--arch needs a value (arm64 or x64)" 2; arch="$2"; shift 2 ;;
    --arch=*) arch="${1#--arch=}"; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory" 2; out="$2"; shift 2 ;;
    --out=*) out="${1#--out=}"; shift ;;
    --models) [ $# -ge 2 ] || die "--models needs a directory" 2; models="$2"; shift 2 ;;
    --models=*) models="${1#--models=}"; shift ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown option '$1' (see --help)" 2 ;;
  esac
done
case "$arch" in
  arm64 | x64) ;;
  aarch64) arch=arm64 ;;
  amd64 | x86_64) arch=x64 ;;
  *) die "unsupported --arch '$arch' (arm64 or x64)" 2 ;;
esac
command -v npm >/dev/null || die "npm is not installed"
command -v node >/dev/null || die "node is not installed"
mkdir -p "$out" || die "cannot create output directory $out"
out="$(cd "$out" && pwd)"

version="$(node -p "require('$root/package.json').version")"
name="facefleet-agent-$version-linux-$arch"
artifact="$out/$name.tar.gz"

work="$(mktemp -d "${TMPDIR:-/tmp}/facefleet-package.XXXXXX")"
trap 'rm -rf "$work"; rm -f "$artifact.partial"' EXIT
stage="$work/$name"
mkdir -p "$stage/app"

cd "$root"
if [ "$build" = 1 ]; then
  say "building TypeScript (npm run build)"
  npm run --silent build >"$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; die "npm run build failed"; }
fi
[ -f dist/cli/main.js ] || die "dist/cli/main.js is missing: run npm run build (or drop --no-build)"

say "npm pack"
tgz="$(npm pack --silent --ignore-scripts --pack-destination "$work" 2>"$work/pack.log" | tail -1)" \
  || { cat "$work/pack.log" >&2; die "npm pack failed"; }
tar xzf "$work/$tgz" -C "$stage/app" --strip-components=1
rm -f "$work/$tgz"
# The compiled tests are not part of an installation.
rm -rf "$stage/app/dist/test"

say "installing production dependencies for linux/$arch"
cp package-lock.json "$stage/app/"
# --ignore-scripts: no install script runs for the build host (onnxruntime-node's would download CUDA
# libraries for an x64 host; sharp and onnxruntime-node ship their binaries in per-platform packages / folders).
(cd "$stage/app" && npm ci --omit=dev --os=linux --cpu="$arch" --libc=glibc --ignore-scripts \
  --no-audit --no-fund --loglevel=error) >"$work/npm.log" 2>&1 || { tail -20 "$work/npm.log" >&2; die "npm ci for linux/$arch failed"; }

# onnxruntime-node ships every platform's binding; keep only this target's.
ort="$stage/app/node_modules/onnxruntime-node/bin"
if [ -d "$ort" ]; then
  for napi in "$ort"/napi-v*; do
    for os in "$napi"/*; do
      if [ "$(basename "$os")" != linux ]; then rm -rf "$os"; continue; fi
      for a in "$os"/*; do [ "$(basename "$a")" = "$arch" ] || rm -rf "$a"; done
    done
  done
fi

say "checking the native parts are linux/$arch"
ls "$stage/app/node_modules/@img/sharp-linux-$arch/lib/"*.node >/dev/null 2>&1 \
  || die "@img/sharp-linux-$arch is missing from the install"
ls "$stage/app/node_modules/@img/sharp-libvips-linux-$arch/lib/"libvips-cpp.so* >/dev/null 2>&1 \
  || die "@img/sharp-libvips-linux-$arch is missing from the install"
ls "$ort"/napi-v*/linux/"$arch"/onnxruntime_binding.node >/dev/null 2>&1 \
  || die "onnxruntime-node has no linux/$arch binding"
other=x64; [ "$arch" = x64 ] && other=arm64
[ ! -e "$stage/app/node_modules/@img/sharp-linux-$other" ] || die "the install also holds @img/sharp-linux-$other"
if [ "$arch" = "$host_arch" ]; then
  say "smoke test: facefleet --help with the packaged node_modules"
  node "$stage/app/bin/facefleet.js" --help >"$work/help.log" 2>&1 || { tail -5 "$work/help.log" >&2; die "the packaged CLI does not start"; }
else
  say "smoke test skipped (linux/$arch binaries cannot run on this $host_arch host)"
fi

if [ -n "$models" ]; then
  say "adding model files from $models"
  mkdir -p "$stage/models"
  MODEL_DIRS="$models" MANIFEST="$stage/app/models/manifest.json" DEST="$stage/models" node --input-type=module -e '
    import { createHash } from "node:crypto";
    import { copyFileSync, existsSync, readFileSync } from "node:fs";
    import { join } from "node:path";
    const manifest = JSON.parse(readFileSync(process.env.MANIFEST, "utf8"));
    const dirs = process.env.MODEL_DIRS.split(":").filter(Boolean);
    let n = 0;
    for (const [id, m] of Object.entries(manifest.models)) {
      const path = dirs.map((d) => join(d, m.file)).find((p) => existsSync(p));
      if (!path) continue;
      const sha = createHash("sha256").update(readFileSync(path)).digest("hex");
      if (sha !== m.sha256) { console.error(`build-agent-package: ${path} does not match the manifest (${id})`); process.exit(1); }
      copyFileSync(path, join(process.env.DEST, m.file));
      console.log(`package:   ${id} (${m.file})`);
      n++;
    }
    if (n === 0) { console.error(`build-agent-package: no model file of the manifest found in ${process.env.MODEL_DIRS}`); process.exit(1); }
  '
fi

cp "$here/agent.example.json" "$here/facefleet-agent.service" "$here/install.sh" "$stage/"
chmod 755 "$stage/install.sh"
commit="$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
dirty="$(git -C "$root" status --porcelain 2>/dev/null || true)"
cat >"$stage/BUILD-INFO.json" <<EOF
{
  "name": "facefleet-agent",
  "version": "$version",
  "platform": "linux",
  "arch": "$arch",
  "libc": "glibc",
  "commit": "$commit${dirty:+-dirty}",
  "builtWith": "node $(node -v), npm $(npm -v)",
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "modelsIncluded": $([ -n "$models" ] && echo true || echo false)
}
EOF

say "writing $artifact"
tar czf "$artifact.partial" -C "$work" --owner=0 --group=0 "$name"
mv -f "$artifact.partial" "$artifact"
say "done: $artifact ($(du -h "$artifact" | cut -f1))"
