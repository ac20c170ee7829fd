#!/usr/bin/env bash
# Creates bench/.venv with the classic face_recognition 1.3.0 baseline (dlib HOG + 128-d ResNet).
# Uses the prebuilt dlib-bin wheel instead of compiling dlib; face-recognition itself is installed
# with --no-deps because it declares a dependency on "dlib" (source build), which dlib-bin replaces.
# Idempotent: re-running only re-checks the pins.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="$repo/bench/.venv"
python="${PYTHON:-python3}"

# Pinned versions (checked working with Python 3.11, linux x86_64).
DLIB_BIN="dlib-bin==20.0.1.post1"
FR_MODELS="face-recognition-models==0.3.0"
CLICK="click==8.5.1"
NUMPY="numpy==2.4.6"
PILLOW="pillow==13.0.0"
FR="face-recognition==1.3.0"
# face_recognition_models imports pkg_resources; setuptools >= 81 dropped it, so keep an older one.
SETUPTOOLS="setuptools<81"

if [ ! -x "$venv/bin/python" ]; then
  echo "[baseline-setup] creating venv $venv" >&2
  "$python" -m venv "$venv"
fi

echo "[baseline-setup] installing dlib-bin, face-recognition-models, click, numpy, pillow (quiet)..." >&2
"$venv/bin/python" -m pip install -q --disable-pip-version-check "$DLIB_BIN" "$FR_MODELS" "$CLICK" "$NUMPY" "$PILLOW" "$SETUPTOOLS"
echo "[baseline-setup] installing face-recognition 1.3.0 (--no-deps)..." >&2
"$venv/bin/python" -m pip install -q --disable-pip-version-check --no-deps "$FR"

"$venv/bin/python" -W ignore - <<'PY'
import importlib.metadata as md, dlib, face_recognition, numpy, PIL
print(f"[baseline-setup] ok: dlib {dlib.__version__}, face_recognition {md.version('face-recognition')}, "
      f"numpy {numpy.__version__}, pillow {PIL.__version__}")
PY
