#!/usr/bin/env python3
"""Rewrite the official SFace 2021dec ONNX file into an equivalent graph that onnxruntime runs fast.

  optimize_sface.py --model face_recognition_sface_2021dec.onnx --out face_recognition_sface_2021dec_opt.onnx

What changes (the weights and the arithmetic do not; see models/export/README.md for the measurements):
  1. The 174 initializers are removed from the graph inputs. Listed as inputs, onnxruntime must treat them as
     overridable, so it folds nothing (BatchNormalization stays a separate op, no constant folding).
  2. Every PRelu(x, slope[C,1,1]) becomes x + (1 - slope) * Relu(-x): x for x > 0, slope * x for x <= 0 (PRelu up
     to one float rounding of the x <= 0 branch: x - (1 - slope) * x instead of slope * x), written as
         x + Relu(DepthwiseConv1x1(slope - 1)(x))                                  when every slope <= 1
         x + DepthwiseConv1x1(1 - slope)(Relu(DepthwiseConv1x1(-1)(x)))            otherwise
     (Relu((slope - 1) * x) = (1 - slope) * Relu(-x) needs 1 - slope >= 0; 25 of SFace's 27 PRelus qualify,
     conv_1 and conv_2_dw have slopes up to 1.12. Both forms give bit-identical results, measured.)
     onnxruntime's PRelu takes its slow broadcasting path for a [C,1,1] slope (52 % of the time as shipped),
     and it is not an op of its NCHWc layout, so every Conv around it also pays a reorder to and from NCHWc.
     A 1x1 depthwise Conv, Relu and Add are NCHWc ops: Relu fuses into the first 1x1 conv, the Add into the
     second (as its sum input), and the whole net runs in NCHWc without reorders. The one-conv form also saves
     a QLinearConv per PRelu in the int8 model (12.2 ms instead of 13.9 ms in one run). Measured alternatives
     (models/export/README.md): Relu(x) - slope * Relu(-x) with Neg/Mul/Sub (exact, but Mul/Sub by a [C,1,1]
     constant are not NCHWc ops: reorders stay), the slope reshaped to [1,C,1,1] or expanded to the full
     [C,H,W] (PRelu stays as slow), and the exact three-node form Relu(x) + DW(-slope)(Relu(DW(-1)(x))) (as fast
     in fp32, but its standalone Relu shares its input with a conv and stays float in the int8 model: 17.6 ms
     instead of 13.6 ms int8, one busy-machine run). A PRelu cannot fold into the Conv before it (it is not linear).
  3. The batch dimension of `data` and `fc1` is made dynamic ("N"); the graph is batch-independent
     (Flatten + Gemm over axis 1).
Then the result is checked against the official graph on fixed pseudo-random inputs (max |diff| and cosine),
re-serialised deterministically (no timestamps, fixed names, SerializeToString(deterministic=True)) and written
atomically; its sha256 is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

from atomic_write import write_atomically

PRODUCER = "facefleet/models/export/optimize_sface.py"
MAX_ABS_DIFF = 1e-4
MIN_COSINE = 0.9999


def log(msg: str) -> None:
    print(f"[optimize_sface] {msg}", flush=True)


def initializers_out_of_inputs(graph: onnx.GraphProto) -> int:
    names = {t.name for t in graph.initializer}
    keep = [i for i in graph.input if i.name not in names]
    removed = len(graph.input) - len(keep)
    del graph.input[:]
    graph.input.extend(keep)
    return removed


def depthwise_1x1(name: str, x: str, out: str, weights: np.ndarray) -> tuple[onnx.NodeProto, onnx.TensorProto]:
    """Conv with one 1x1 filter per channel (group = C, no bias): out[c] = weights[c] * x[c], a single product."""
    w = numpy_helper.from_array(np.ascontiguousarray(weights, dtype=np.float32).reshape(-1, 1, 1, 1), name)
    node = helper.make_node("Conv", [x, name], [out], name=out, group=int(weights.size), kernel_shape=[1, 1],
                            strides=[1, 1], pads=[0, 0, 0, 0], dilations=[1, 1])
    return node, w


def rewrite_prelu(graph: onnx.GraphProto) -> int:
    inits = {t.name: t for t in graph.initializer}
    nodes: list[onnx.NodeProto] = []
    added: list[onnx.TensorProto] = []
    count = 0
    for node in graph.node:
        if node.op_type != "PRelu":
            nodes.append(node)
            continue
        x, slope_name = node.input
        if slope_name not in inits:
            raise SystemExit(f"optimize_sface.py: error: PRelu {node.name or node.output[0]}: slope {slope_name} is not an initializer")
        slope = numpy_helper.to_array(inits[slope_name]).astype(np.float32)
        if slope.ndim != 3 or slope.shape[1:] != (1, 1):
            raise SystemExit(f"optimize_sface.py: error: PRelu slope {slope_name} has shape {slope.shape}, expected [C,1,1]")
        slope = slope.reshape(-1)
        y = node.output[0]
        add = helper.make_node("Add", [x, f"{y}/neg_part"], [y], name=y)
        if (slope <= 1).all():
            scale_node, scale_w = depthwise_1x1(f"{y}/slope_minus_one_w", x, f"{y}/neg_scaled", slope - 1)
            relu = helper.make_node("Relu", [f"{y}/neg_scaled"], [f"{y}/neg_part"], name=f"{y}/neg_part")
            nodes += [scale_node, relu, add]
            added += [scale_w]
        else:
            neg_node, neg_w = depthwise_1x1(f"{y}/neg_w", x, f"{y}/neg_x", -np.ones_like(slope))
            relu_neg = helper.make_node("Relu", [f"{y}/neg_x"], [f"{y}/relu_neg"], name=f"{y}/relu_neg")
            scale_node, scale_w = depthwise_1x1(f"{y}/one_minus_slope_w", f"{y}/relu_neg", f"{y}/neg_part", 1 - slope)
            nodes += [neg_node, relu_neg, scale_node, add]
            added += [neg_w, scale_w]
        count += 1
    used = {name for n in nodes for name in n.input}
    kept = [t for t in graph.initializer if t.name in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(kept + added)
    return count


def dynamic_batch(graph: onnx.GraphProto) -> None:
    for value in list(graph.input) + list(graph.output):
        dim = value.type.tensor_type.shape.dim[0]
        dim.ClearField("dim_value")
        dim.dim_param = "N"
    del graph.value_info[:]


def run(model_bytes: bytes, x: np.ndarray) -> np.ndarray:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3  # the official file warns once per initializer listed as an input
    session = ort.InferenceSession(model_bytes, so, providers=["CPUExecutionProvider"])
    return np.concatenate([session.run(None, {"data": x[i : i + 1]})[0] for i in range(len(x))])


def check_equivalence(official: bytes, optimized: bytes) -> str:
    """Official vs optimized on 4 fixed pseudo-random 112x112 inputs, one at a time (the official takes batch 1)."""
    x = np.random.default_rng(20211201).uniform(0, 255, (4, 3, 112, 112)).astype(np.float32)
    a, b = run(official, x), run(optimized, x)
    max_abs = float(np.abs(a - b).max())
    cos = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    report = f"max |optimized - official| {max_abs:.3g} (output norm ~{np.linalg.norm(a, axis=1).mean():.2f}), min cosine {cos.min():.9f}"
    if max_abs > MAX_ABS_DIFF or cos.min() < MIN_COSINE:
        raise SystemExit(f"optimize_sface.py: error: optimized graph differs from the official one: {report}")
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="make the official SFace ONNX file fast in onnxruntime, same outputs")
    ap.add_argument("--model", required=True, type=Path, help="face_recognition_sface_2021dec.onnx (official)")
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)

    official = args.model.read_bytes()
    model = onnx.load_from_string(official)
    graph = model.graph
    if [i.name for i in graph.input][:1] != ["data"] or [o.name for o in graph.output] != ["fc1"]:
        raise SystemExit(f"optimize_sface.py: error: {args.model}: expected input 'data' and output 'fc1' (official SFace 2021dec)")
    source_sha = hashlib.sha256(official).hexdigest()
    removed = initializers_out_of_inputs(graph)
    rewritten = rewrite_prelu(graph)
    dynamic_batch(graph)
    log(f"{removed} initializers removed from the graph inputs, {rewritten} PRelu rewritten, batch dimension dynamic")

    model.producer_name = PRODUCER
    model.producer_version = "1"
    model.doc_string = "SFace 2021dec (OpenCV Zoo, Apache-2.0), same weights; PRelu as x + (1-slope)*Relu(-x) with 1x1 depthwise Convs, batch N"
    del model.metadata_props[:]
    for key, value in (("source_file", args.model.name), ("source_sha256", source_sha)):
        model.metadata_props.append(onnx.StringStringEntryProto(key=key, value=value))
    onnx.checker.check_model(model)
    data = model.SerializeToString(deterministic=True)
    log(check_equivalence(official, data))

    write_atomically(args.out, data)
    log(f"wrote {args.out} ({len(data)} bytes, {len(graph.node)} nodes)")
    print(f"sha256 {hashlib.sha256(data).hexdigest()}  {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
