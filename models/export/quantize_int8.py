#!/usr/bin/env python3
"""Static int8 quantization (ONNX Runtime) of the facefleet recognizer or detector.

  quantize_int8.py --model IN.onnx --out OUT.onnx --kind recognizer|sface|detector \
                   --images DIR_OR_FILE [DIR_OR_FILE ...] [--count N]

Calibration data (deterministic, no randomness):
  * every --images argument is expanded to its image files (.jpg/.jpeg/.png, recursively for a
    folder), sorted by path; if --count N is given, N files evenly spaced over that sorted list
    are kept (indices floor(i * len / N)), so a big folder is sampled across its whole
    alphabet (LFW is sorted by person name) instead of only its first names.
  * recognizer (input `input` [N,3,150,150] RGB raw 0..255): a centre square of 0.45 x the short
    side (112 px of a 250x250 LFW deep-funneled image) resized to 150x150 (bilinear), a proxy of
    dlib's aligned 150x150 chip: of the centre crops tried (0.4 .. 0.7 of the side) it gives the
    best LFW pair accuracy with this model (94.5 % vs 86.8 % for a plain 150 px crop).
  * sface (SFace 2021dec, input `data` [N,3,112,112] RGB raw 0..255): a 112x112 chip aligned on SFace's
    5-point template (models/manifest.json, alignment of sface-2021dec) by one fixed similarity transform: the
    one that maps the median YuNet landmarks of the LFW gallery pictures (SFACE_LFW_LANDMARKS) onto the
    template, bilinear. LFW deep-funneled pictures are already aligned to each other (per-picture landmark
    spread 3-7 px of 250), so this is close to what recognition/align.ts does per face, without a detector
    in the build.
  * detector (YuNet, input `input` [1,3,H,W] BGR raw 0..255): whole image resized to 640x640.

Quantization recipe (defaults; see models/export/README.md for the measurements behind it):
  * pre-processing as onnxruntime.quantization.quant_pre_process does it (ORT basic graph
    optimisation + ONNX shape inference). It folds face-api's per-channel "scale" Mul/Add into
    the preceding Conv, so each conv gets one quantized weight tensor and no extra QDQ pairs.
  * QDQ format, activations uint8 (asymmetric), weights int8 (symmetric) per output channel
    ("U8S8"), entropy (KL) calibration. QDQ is the format ORT recommends for CPU on x86-64 and ARM64
    (its graph transformer fuses DQ->op->Q into QLinearConv / int8 GEMM kernels on either, and
    other EPs such as XNNPACK/NNAPI/QNN read QDQ too). U8S8 is the native MLAS int8 kernel path on
    both x86 (VNNI / AVX2 / AMX) and ARM64 (UDOT or NEON widening multiplies); on the x86 box used
    here S8S8 per-channel stayed as slow as fp32 (not fused), U8S8 ran 3.4x faster at equal
    accuracy. Per-channel weights matter for YuNet's depthwise convs and help the ResNet.
    On pre-VNNI AVX2 x86 CPUs U8S8 can saturate (vpmaddubsw); --reduce-range trades a little
    accuracy for safety there.
  * SFace: percentile calibration (99.999 %), measured on 64 chips: cosine(int8, fp32) mean 0.9944, min 0.9903,
    against 0.9904 / 0.9804 for entropy. (With onnxruntime's default 128 histogram bins and 128 quantized bins the
    entropy search had a single candidate here, the full range, so it gave a byte-identical file to MinMax.)
  * Entropy calibration: with MinMax a few outliers stretch YuNet's activation ranges (top face
    score off by up to 0.47 on one frame); entropy keeps it within 0.002. For the ResNet the
    methods are close (entropy has the best worst case).
  * detector: the 12 output-head convs (cls/obj/bbox/kps) and their tails stay float; they are a
    tiny share of the compute and quantizing them moves scores and box regressions visibly.
The output is re-serialised deterministically and written atomically; its sha256 is printed.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
from onnxruntime.quantization import (
    CalibrationDataReader,
    CalibrationMethod,
    QuantFormat,
    QuantType,
    quantize_static,
)
from onnxruntime.quantization.quant_utils import add_pre_process_metadata
from PIL import Image

IMAGE_EXTS = {".jpg", ".jpeg", ".png"}
RECOGNIZER_SIZE = 150
RECOGNIZER_CROP_FRACTION = 0.45  # 112 px of a 250x250 LFW deep-funneled image; see README
DETECTOR_SIZE = 640
SFACE_SIZE = 112
# models/manifest.json, sface-2021dec alignment.template (right eye, left eye, nose, right/left mouth corner)
SFACE_TEMPLATE = [[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366], [41.5493, 92.3655], [70.7299, 92.2041]]
# Median YuNet (yunet_s_dynamic, score >= 0.3, central face) landmarks over the 668 LFW gallery pictures, 250x250,
# from bench/alignment/dump-yunet-landmarks.ts.
SFACE_LFW_LANDMARKS = [[103.94, 112.32], [147.69, 111.9], [126.51, 136.48], [108.22, 155.67], [145.26, 155.04]]
MIN_OPSET = 13


def log(msg: str) -> None:
    print(f"[quantize] {msg}", flush=True)


def list_images(spec: str, count: int | None) -> list[Path]:
    p = Path(spec)
    if p.is_file():
        files = [p]
    elif p.is_dir():
        files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in IMAGE_EXTS)
    else:
        raise FileNotFoundError(f"--images {spec}: no such file or folder")
    if count is not None and count < len(files):
        files = [files[(i * len(files)) // count] for i in range(count)]
    return files


def recognizer_crop(path: Path) -> np.ndarray:
    """150x150 RGB chip, HWC uint8: centre square of 0.6 x short side, resized if needed."""
    with Image.open(path) as im:
        im = im.convert("RGB")
        w, h = im.size
        side = max(1, round(RECOGNIZER_CROP_FRACTION * min(w, h)))
        left, top = (w - side) // 2, (h - side) // 2
        chip = im.crop((left, top, left + side, top + side))
        if chip.size != (RECOGNIZER_SIZE, RECOGNIZER_SIZE):
            chip = chip.resize((RECOGNIZER_SIZE, RECOGNIZER_SIZE), Image.Resampling.BILINEAR)
        return np.asarray(chip, dtype=np.uint8)


def similarity(src: np.ndarray, dst: np.ndarray) -> tuple[float, float, float, float]:
    """Least-squares similarity (a, b, tx, ty) with dst ~ [[a, -b], [b, a]] @ src + t (Umeyama without reflection)."""
    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    denom = (s**2).sum()
    a = (s * d).sum() / denom
    b = (s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0]).sum() / denom
    tx = md[0] - (a * ms[0] - b * ms[1])
    ty = md[1] - (b * ms[0] + a * ms[1])
    return a, b, tx, ty


def sface_chip(path: Path) -> np.ndarray:
    """112x112 RGB chip, HWC uint8, aligned on SFace's template by the fixed LFW transform (see the docstring)."""
    a, b, tx, ty = similarity(np.array(SFACE_LFW_LANDMARKS, np.float64), np.array(SFACE_TEMPLATE, np.float64))
    # PIL's AFFINE maps output (x, y) to input (c0 x + c1 y + c2, c3 x + c4 y + c5): the inverse transform.
    k = a * a + b * b
    ia, ib = a / k, -b / k
    itx, ity = -(ia * tx - ib * ty), -(ib * tx + ia * ty)
    coeffs = (ia, -ib, itx, ib, ia, ity)
    with Image.open(path) as im:
        chip = im.convert("RGB").transform((SFACE_SIZE, SFACE_SIZE), Image.Transform.AFFINE, coeffs,
                                           resample=Image.Resampling.BILINEAR, fillcolor=(0, 0, 0))
        return np.asarray(chip, dtype=np.uint8)


def detector_frame(path: Path) -> np.ndarray:
    """640x640 BGR, HWC uint8: the whole image resized (bilinear)."""
    with Image.open(path) as im:
        im = im.convert("RGB").resize((DETECTOR_SIZE, DETECTOR_SIZE), Image.Resampling.BILINEAR)
        return np.asarray(im, dtype=np.uint8)[:, :, ::-1]


def to_nchw(batch_hwc: list[np.ndarray]) -> np.ndarray:
    return np.ascontiguousarray(np.stack(batch_hwc).transpose(0, 3, 1, 2).astype(np.float32))


class ImageReader(CalibrationDataReader):
    def __init__(self, arrays: list[np.ndarray], input_name: str, batch: int):
        self.batches = [to_nchw(arrays[i : i + batch]) for i in range(0, len(arrays), batch)]
        self.input_name = input_name
        self.pos = 0

    # __len__ and set_range let quantize_static calibrate in chunks (extra option CalibStridedMinMax, which
    # despite its name works for every calibrator): the histogram calibrators keep every activation of every
    # batch until the end otherwise (SFace: ~110 MB per calibration face, 200 faces would need ~22 GB).
    def __len__(self) -> int:
        return len(self.batches)

    def set_range(self, start_index: int, end_index: int) -> None:
        self.pos = start_index
        self.end = end_index

    def get_next(self):
        if self.pos >= min(len(self.batches), getattr(self, "end", len(self.batches))):
            return None
        b = self.batches[self.pos]
        self.pos += 1
        if self.pos % 5 == 0 or self.pos == len(self.batches):
            log(f"  calibration batch {self.pos}/{len(self.batches)}")
        return {self.input_name: b}

    def rewind(self):
        self.pos = 0


def preprocess(src: Path, dst: Path) -> None:
    """What onnxruntime.quantization.quant_pre_process does, minus symbolic shape inference (needs sympy),
    plus an opset upgrade to 13: ORT basic graph optimisation (constant folding, Conv+Mul / Conv+Add fusion, ...) saved to a file,
    then ONNX shape inference. Done by hand because quant_pre_process(skip_symbolic_shape=True) in
    onnxruntime 1.30 discards the optimised graph and shape-infers the original model instead."""
    model = onnx.load(str(src))
    opset = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), MIN_OPSET)
    if opset < MIN_OPSET:
        # per-channel QuantizeLinear/DequantizeLinear (the `axis` attribute) needs opset >= 13;
        # quantize_static itself only lifts the model to opset 11 (YuNet 2023mar is opset 11).
        log(f"  converting opset {opset} -> {MIN_OPSET}")
        model = onnx.version_converter.convert_version(model, MIN_OPSET)
    upgraded = dst.with_name(dst.stem + ".in.onnx")
    onnx.save(model, str(upgraded))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    so.intra_op_num_threads = 1
    opt = dst.with_name(dst.stem + ".opt.onnx")
    so.optimized_model_filepath = str(opt)
    ort.InferenceSession(str(upgraded), so, providers=["CPUExecutionProvider"])
    upgraded.unlink()
    onnx.shape_inference.infer_shapes_path(str(opt), str(dst))
    opt.unlink()
    model = onnx.load(str(dst))
    add_pre_process_metadata(model)  # tells quantize_static pre-processing was done
    onnx.save(model, str(dst))


def output_heads(model_path: Path) -> list[str]:
    """Names of the last Conv feeding each graph output plus every node after it (for YuNet: the
    12 cls/obj/bbox/kps head convs and their Sigmoid/Reshape/Transpose tails)."""
    model = onnx.load(str(model_path))
    producer = {o: n for n in model.graph.node for o in n.output}
    names: list[str] = []
    for out in model.graph.output:
        node = producer.get(out.name)
        while node is not None:
            if node.name not in names:
                names.append(node.name)
            if node.op_type == "Conv":
                break
            node = producer.get(node.input[0])
    return names


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def input_name(model_path: Path) -> str:
    return onnx.load(str(model_path), load_external_data=False).graph.input[0].name


def agreement(fp32: Path, int8: Path, kind: str, arrays: list[np.ndarray]) -> str:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    a = ort.InferenceSession(str(fp32), so, providers=["CPUExecutionProvider"])
    b = ort.InferenceSession(str(int8), so, providers=["CPUExecutionProvider"])
    if kind in ("recognizer", "sface"):
        name = a.get_inputs()[0].name
        batch = a.get_inputs()[0].shape[0] != 1  # the official SFace file takes one face at a time
        x = to_nchw(arrays)
        def embed(s: ort.InferenceSession) -> np.ndarray:
            if batch:
                return s.run(None, {name: x})[0]
            return np.concatenate([s.run(None, {name: x[i : i + 1]})[0] for i in range(len(x))])
        ea, eb = embed(a), embed(b)
        cos = (ea * eb).sum(1) / (np.linalg.norm(ea, axis=1) * np.linalg.norm(eb, axis=1))
        return f"cosine(int8, fp32) over {len(arrays)} chips: mean {cos.mean():.5f}, min {cos.min():.5f}"
    rows = []
    for arr in arrays:
        x = to_nchw([arr])
        oa = dict(zip([o.name for o in a.get_outputs()], a.run(None, {"input": x})))
        ob = dict(zip([o.name for o in b.get_outputs()], b.run(None, {"input": x})))
        # YuNet face score = sqrt(cls * obj) per anchor
        sa = np.concatenate([np.sqrt(np.clip(oa[f"cls_{s}"] * oa[f"obj_{s}"], 0, 1)).ravel() for s in (8, 16, 32)])
        sb = np.concatenate([np.sqrt(np.clip(ob[f"cls_{s}"] * ob[f"obj_{s}"], 0, 1)).ravel() for s in (8, 16, 32)])
        ba = np.concatenate([oa[f"bbox_{s}"].reshape(-1, 4) for s in (8, 16, 32)])
        bb = np.concatenate([ob[f"bbox_{s}"].reshape(-1, 4) for s in (8, 16, 32)])
        top = int(sa.argmax())
        rows.append((sa[top], sb[top], np.abs(sa - sb).max(), np.abs(ba[top] - bb[top]).max(),
                     int((sa > 0.5).sum()), int((sb > 0.5).sum())))
    r = np.array(rows)
    return (f"{len(arrays)} frames: top fp32 anchor score mean {r[:, 0].mean():.3f} vs int8 {r[:, 1].mean():.3f}, "
            f"max |score diff| at it {np.abs(r[:, 0] - r[:, 1]).max():.3f}, over all anchors {r[:, 2].max():.3f}; "
            f"max |bbox regression diff| at it {r[:, 3].max():.3f}; anchors > 0.5: fp32 {int(r[:, 4].sum())}, "
            f"int8 {int(r[:, 5].sum())}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="ONNX Runtime static int8 quantization with real-face calibration")
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--kind", required=True, choices=["recognizer", "sface", "detector"])
    ap.add_argument("--images", required=True, nargs="+", help="image files or folders (searched recursively)")
    ap.add_argument("--count", type=int, default=None,
                    help="at most N images from EACH --images argument (evenly spaced over its sorted list)")
    ap.add_argument("--format", choices=["qdq", "qoperator"], default="qdq")
    ap.add_argument("--activation-type", choices=["int8", "uint8"], default="uint8")
    ap.add_argument("--no-per-channel", dest="per_channel", action="store_false")
    ap.add_argument("--reduce-range", action="store_true", help="7-bit weights (only for U8S8 on pre-VNNI x86)")
    ap.add_argument("--method", choices=["minmax", "percentile", "entropy"], default=None,
                    help="calibration (default: percentile for sface, entropy otherwise)")
    ap.add_argument("--exclude", nargs="*", default=[], help="node names to keep in float")
    ap.add_argument("--quantize-heads", action="store_true",
                    help="detector: also quantize the output-head convs (default: keep them float)")
    ap.add_argument("--calibration-cache", type=Path, default=None,
                    help="JSON file of calibrated tensor ranges: written on the first run, reused (no calibration) when "
                         "present; for trying recipes on one calibration (same --model, --method and images)")
    ap.add_argument("--no-check", dest="check", action="store_false",
                    help="skip the int8-vs-fp32 agreement printout")
    args = ap.parse_args(argv)
    if args.method is None:
        args.method = "percentile" if args.kind == "sface" else "entropy"

    t0 = time.time()
    files: list[Path] = []
    for spec in args.images:
        got = list_images(spec, args.count)
        log(f"{spec}: {len(got)} image(s)")
        files.extend(got)
    if not files:
        log("error: no calibration images")
        return 2
    load = {"recognizer": recognizer_crop, "sface": sface_chip, "detector": detector_frame}[args.kind]
    arrays = []
    for i, f in enumerate(files, 1):
        arrays.append(load(f))
        if i % 50 == 0 or i == len(files):
            log(f"  decoded {i}/{len(files)}")

    qtype = {"int8": QuantType.QInt8, "uint8": QuantType.QUInt8}
    method = {
        "minmax": CalibrationMethod.MinMax,
        "percentile": CalibrationMethod.Percentile,
        "entropy": CalibrationMethod.Entropy,
    }[args.method]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="ff-quant-", dir=args.out.parent) as td:
        pre = Path(td) / "pre.onnx"
        log(f"pre-processing {args.model} (shape inference + ORT basic optimisation)")
        preprocess(args.model, pre)
        exclude = list(args.exclude)
        if args.kind == "detector" and not args.quantize_heads:
            heads = output_heads(pre)
            log(f"  keeping {len(heads)} output-head node(s) in float (last conv before each output and after)")
            exclude += [h for h in heads if h not in exclude]
        raw = Path(td) / "quant.onnx"
        batch = 1 if args.kind == "detector" else 8
        log(f"calibrating on {len(arrays)} {args.kind} input(s) "
            f"({args.format.upper()}, act {args.activation_type}, weights int8, "
            f"per_channel={args.per_channel}, reduce_range={args.reduce_range}, method={args.method})")
        reader = ImageReader(arrays, input_name(pre), batch)
        extra: dict[str, object] = {"ActivationSymmetric": False, "WeightSymmetric": True}
        if args.kind == "sface":
            # one calibration batch (8 faces) at a time; ranges/histograms are merged across the chunks
            extra["CalibStridedMinMax"] = 1
        if args.method == "minmax" and "CalibStridedMinMax" not in extra:
            # Bound MinMax calibration memory (YuNet at 640x640 holds ~100 MB of activations per frame) by
            # reducing every k batches. onnxruntime 1.30 raises "No data is collected" when the batch count
            # is a multiple of k, so pick a k that does not divide it.
            k = 8
            while len(reader.batches) % k == 0:
                k += 1
            extra["CalibMaxIntermediateOutputs"] = k
        quantize_static(
            str(pre),
            str(raw),
            reader,
            quant_format=QuantFormat.QDQ if args.format == "qdq" else QuantFormat.QOperator,
            per_channel=args.per_channel,
            reduce_range=args.reduce_range,
            activation_type=qtype[args.activation_type],
            weight_type=QuantType.QInt8,
            calibrate_method=method,
            nodes_to_exclude=exclude or None,
            extra_options=extra,
            calibration_cache_path=args.calibration_cache,
        )
        model = onnx.load(str(raw))
        model.producer_name = "facefleet/models/export/quantize_int8.py (onnxruntime.quantization)"
        model.producer_version = ort.__version__
        data = model.SerializeToString(deterministic=True)
        tmp = args.out.with_name(args.out.name + f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, args.out)
    log(f"wrote {args.out} ({len(data)} bytes) in {time.time() - t0:.1f}s")
    if args.check:
        n = 32
        log(agreement(args.model, args.out, args.kind, arrays[:n]))
    print(f"sha256 {sha256_bytes(data)}  {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
