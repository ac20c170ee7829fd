#!/usr/bin/env python3
"""Export face-api's FaceRecognitionNet (the 128-d dlib ResNet descriptor) to ONNX.

Source of the weights: the npm package @vladmandic/face-api (MIT), files
model/face_recognition_model-weights_manifest.json + model/face_recognition_model.bin.
The weights are stored uint8-quantized per tensor; TF.js dequantizes them as
``value = q * scale + min`` (computed in double, stored as float32), and so do we.

The graph mirrors src/faceRecognitionNet/*.ts of face-api 1.7.15 op for op:

  x = (input - meanRgb) / 255                  # ops/normalize.ts, FaceRecognitionNet.forwardInput
  x = convDown(x, conv32_down)                 # 7x7 stride 2 'valid' conv + bias, scale, relu
  x = maxPool(x, 3, 2, 'valid')
  x = residual(x, conv32_1..3)
  x = residualDown(x, conv64_down); residual(x, conv64_1..3)
  x = residualDown(x, conv128_down); residual(x, conv128_1..2)
  x = residualDown(x, conv256_down); residual(x, conv256_1..2)
  x = residualDown(x, conv256_down_out)
  x = mean(x, [H, W]); embedding = x @ fc      # [N, 128], not L2-normalised

convLayer = conv2d + bias -> scale (per-channel mul + add) -> optional relu.
residual(x)     = relu(convNoRelu(conv(x, conv1), conv2) + x)          ('same' 3x3 convs)
residualDown(x) = relu(pad(convNoRelu(convDown(x, conv1), conv2)) + padC(avgPool(x, 2, 2)))
  where convDown is a 3x3 stride 2 'valid' conv, pad adds one zero row/column at the bottom/right
  when the spatial sizes differ, and padC appends zero channels when the channel counts differ.

ONNX I/O: input ``input`` float32 NCHW [N,3,150,150], RGB, raw 0..255 (normalisation is inside
the graph); output ``embedding`` float32 [N,128]. The file is byte-deterministic: names are
derived from face-api's parameter paths, there is no timestamp, IR version and opset are fixed.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13
IR_VERSION = 8  # ONNX IR for opset 13; fixed so the bytes do not depend on the onnx package default
INPUT_SIZE = 150
MEAN_RGB = (122.782, 117.001, 104.298)  # FaceRecognitionNet.forwardInput
DIVISOR = 255.0  # normalize(batch, meanRgb).div(255)
MANIFEST_NAME = "face_recognition_model-weights_manifest.json"
EXPORTER_VERSION = "1"

# (name, kind) in forward order: kind "down" = residualDown, "res" = residual.
RESIDUAL_LAYERS = [
    ("conv32_1", "res"),
    ("conv32_2", "res"),
    ("conv32_3", "res"),
    ("conv64_down", "down"),
    ("conv64_1", "res"),
    ("conv64_2", "res"),
    ("conv64_3", "res"),
    ("conv128_down", "down"),
    ("conv128_1", "res"),
    ("conv128_2", "res"),
    ("conv256_down", "down"),
    ("conv256_1", "res"),
    ("conv256_2", "res"),
    ("conv256_down_out", "down"),
]

_DTYPES = {"float32": np.float32, "int32": np.int32, "uint8": np.uint8, "uint16": np.uint16}


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_weights(weights_dir: Path) -> dict[str, np.ndarray]:
    """Decode a TF.js weights manifest exactly like tf.io.decodeWeights (uint8/uint16 affine dequant)."""
    manifest = json.loads((weights_dir / MANIFEST_NAME).read_text())
    out: dict[str, np.ndarray] = {}
    for group in manifest:
        buf = b"".join((weights_dir / p).read_bytes() for p in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = spec.get("quantization")
            if quant:
                qdtype = np.dtype(_DTYPES[quant["dtype"]])
                nbytes = count * qdtype.itemsize
                q = np.frombuffer(buf, dtype=qdtype, count=count, offset=offset)
                if quant["dtype"] not in ("uint8", "uint16"):
                    raise ValueError(f"{spec['name']}: unsupported quantization {quant['dtype']}")
                # TF.js: values[i] = v * scale + min, JS doubles rounded into a Float32Array.
                vals = (q.astype(np.float64) * float(quant["scale"]) + float(quant["min"])).astype(np.float32)
            else:
                dt = np.dtype(_DTYPES[spec["dtype"]])
                nbytes = count * dt.itemsize
                vals = np.frombuffer(buf, dtype=dt, count=count, offset=offset).copy()
            offset += nbytes
            out[spec["name"]] = vals.reshape(shape)
        if offset != len(buf):
            raise ValueError(f"manifest consumed {offset} bytes, weight file has {len(buf)}")
    return out


class GraphBuilder:
    def __init__(self, weights: dict[str, np.ndarray]):
        self.w = weights
        self.used: set[str] = set()
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def weight(self, name: str) -> np.ndarray:
        if name not in self.w:
            raise KeyError(f"weight {name} missing from manifest")
        self.used.add(name)
        return self.w[name]

    def const(self, name: str, arr: np.ndarray) -> str:
        self.inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output

    def conv_layer(self, x: str, prefix: str, stride: int, relu: bool, same: bool, hw: int) -> tuple[str, int]:
        """face-api convLayer: conv2d(+bias) -> scale (mul, add) -> relu?  Returns (tensor, new spatial size)."""
        filt = self.weight(f"{prefix}/conv/filters")  # HWIO
        k = filt.shape[0]
        w = self.const(f"{prefix}/conv/filters", filt.transpose(3, 2, 0, 1))  # -> OIHW
        b = self.const(f"{prefix}/conv/bias", self.weight(f"{prefix}/conv/bias"))
        if same:
            if stride != 1 or k % 2 != 1:
                raise ValueError("only stride-1 odd-kernel 'same' convs are used by this net")
            pads = [k // 2] * 4
            out_hw = hw
        else:
            pads = [0, 0, 0, 0]
            out_hw = (hw - k) // stride + 1
        y = self.node(
            "Conv", [x, w, b], f"{prefix}/conv",
            kernel_shape=[k, k], strides=[stride, stride], pads=pads, dilations=[1, 1], group=1,
        )
        c = filt.shape[3]
        sw = self.const(f"{prefix}/scale/weights", self.weight(f"{prefix}/scale/weights").reshape(1, c, 1, 1))
        sb = self.const(f"{prefix}/scale/biases", self.weight(f"{prefix}/scale/biases").reshape(1, c, 1, 1))
        y = self.node("Mul", [y, sw], f"{prefix}/scale/mul")
        y = self.node("Add", [y, sb], f"{prefix}/scale/add")
        if relu:
            y = self.node("Relu", [y], f"{prefix}/relu")
        return y, out_hw

    def residual(self, x: str, prefix: str, hw: int) -> tuple[str, int]:
        y, _ = self.conv_layer(x, f"{prefix}/conv1", 1, True, True, hw)
        y, _ = self.conv_layer(y, f"{prefix}/conv2", 1, False, True, hw)
        y = self.node("Add", [y, x], f"{prefix}/add")
        return self.node("Relu", [y], f"{prefix}/relu"), hw

    def residual_down(self, x: str, prefix: str, hw: int, in_c: int) -> tuple[str, int]:
        y, out_hw = self.conv_layer(x, f"{prefix}/conv1", 2, True, False, hw)
        y, _ = self.conv_layer(y, f"{prefix}/conv2", 1, False, True, out_hw)
        out_c = self.w[f"{prefix}/conv2/conv/filters"].shape[3]
        pooled = self.node(
            "AveragePool", [x], f"{prefix}/avgpool",
            kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0], ceil_mode=0,
        )
        pooled_hw = (hw - 2) // 2 + 1
        if pooled_hw != out_hw:
            # tf.concat([out, zeros(H=1)], 1); tf.concat([out, zeros(W=1)], 2): one zero row at the
            # bottom and one zero column at the right.
            if pooled_hw != out_hw + 1:
                raise ValueError(f"{prefix}: unexpected shapes {pooled_hw} vs {out_hw}")
            p = self.const(f"{prefix}/pad_hw/pads", np.array([0, 0, 0, 0, 0, 0, 1, 1], dtype=np.int64))
            y = self.node("Pad", [y, p], f"{prefix}/pad_hw", mode="constant")
        if in_c != out_c:
            # tf.concat([pooled, zeros(pooled.shape)], 3): append zero channels.
            if out_c != 2 * in_c:
                raise ValueError(f"{prefix}: unexpected channels {in_c} -> {out_c}")
            p = self.const(f"{prefix}/pad_c/pads", np.array([0, 0, 0, 0, 0, in_c, 0, 0], dtype=np.int64))
            pooled = self.node("Pad", [pooled, p], f"{prefix}/pad_c", mode="constant")
        y = self.node("Add", [pooled, y], f"{prefix}/add")
        return self.node("Relu", [y], f"{prefix}/relu"), pooled_hw


def build_model(weights: dict[str, np.ndarray], doc: str, metadata: dict[str, str]) -> onnx.ModelProto:
    g = GraphBuilder(weights)
    mean = g.const("normalize/mean_rgb", np.array(MEAN_RGB, dtype=np.float32).reshape(1, 3, 1, 1))
    div = g.const("normalize/divisor", np.array(DIVISOR, dtype=np.float32))
    x = g.node("Sub", ["input", mean], "normalize/sub")
    x = g.node("Div", [x, div], "normalize/div")

    hw = INPUT_SIZE
    x, hw = g.conv_layer(x, "conv32_down", 2, True, False, hw)  # convDown: 150 -> 72
    x = g.node("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 0, 0], ceil_mode=0)
    hw = (hw - 3) // 2 + 1  # 72 -> 35
    channels = weights["conv32_down/conv/filters"].shape[3]
    for name, kind in RESIDUAL_LAYERS:
        if kind == "res":
            x, hw = g.residual(x, name, hw)
        else:
            x, hw = g.residual_down(x, name, hw, channels)
            channels = weights[f"{name}/conv2/conv/filters"].shape[3]

    # out.mean([1, 2]) in NHWC == global average pool over H, W in NCHW.
    x = g.node("GlobalAveragePool", [x], "global_avg")
    x = g.node("Flatten", [x], "flatten", axis=1)
    fc = g.const("fc", g.weight("fc"))  # [256, 128]
    g.node("MatMul", [x, fc], "embedding")

    unused = sorted(set(weights) - g.used)
    if unused:
        raise ValueError(f"weights in manifest not used by the graph: {unused}")

    graph = helper.make_graph(
        g.nodes,
        "face_api_resnet_v1",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 128])],
        initializer=g.inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="facefleet/models/export/export_face_api_recognizer.py",
        producer_version=EXPORTER_VERSION,
        doc_string=doc,
        ir_version=IR_VERSION,
    )
    model.model_version = 1
    for k in sorted(metadata):
        entry = model.metadata_props.add()
        entry.key, entry.value = k, metadata[k]
    onnx.checker.check_model(model, full_check=True)
    return model


def package_version(weights_dir: Path) -> str:
    pkg = weights_dir.parent / "package.json"
    if pkg.is_file():
        data = json.loads(pkg.read_text())
        return f"{data.get('name', '?')}@{data.get('version', '?')}"
    return "unknown"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights-dir", required=True, type=Path,
                    help="folder with face_recognition_model-weights_manifest.json and its .bin")
    ap.add_argument("--out", required=True, type=Path, help="output .onnx path")
    args = ap.parse_args(argv)

    wdir: Path = args.weights_dir
    manifest = wdir / MANIFEST_NAME
    if not manifest.is_file():
        print(f"error: {manifest} not found", file=sys.stderr)
        return 2
    bins = [wdir / p for grp in json.loads(manifest.read_text()) for p in grp["paths"]]
    print(f"[export] reading {manifest}", flush=True)
    weights = load_weights(wdir)
    print(f"[export] {len(weights)} tensors, {sum(v.size for v in weights.values())} parameters", flush=True)

    src = package_version(wdir)
    metadata = {
        "facefleet.model_id": "face_api_resnet_v1",
        "source.package": src,
        "source.license": "MIT",
        "source.manifest_sha256": sha256_file(manifest),
        "source.bin_sha256": ",".join(sha256_file(b) for b in bins),
        "input": "input float32 NCHW [N,3,150,150] RGB raw 0..255 (normalised in-graph: (x - meanRgb) / 255)",
        "output": "embedding float32 [N,128], not L2-normalised",
    }
    doc = (f"dlib ResNet 128-d face descriptor, FaceRecognitionNet of {src}, "
           f"rebuilt from its published TF.js weights.")
    model = build_model(weights, doc, metadata)

    data = model.SerializeToString(deterministic=True)
    out: Path = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, out)
    print(f"[export] wrote {out} ({len(data)} bytes, {len(model.graph.node)} nodes)", flush=True)
    print(f"sha256 {hashlib.sha256(data).hexdigest()}  {out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
