#!/usr/bin/env python3
"""Compare a built emotion model with the numpy forward pass of fer's Keras weights, on given pictures.

  check_emotion_export.py --model fer_emotion_mini_xception.onnx --hdf5 emotion_model.hdf5 --gray FILE

FILE holds N raw gray 64x64 pictures (uint8, N*4096 bytes: what recognition/attributes/fer-emotion.ts feeds the
model). Prints one JSON line: {"faces": N, "maxDiff": ..., "reference": [[7 probabilities] per picture]}, the
reference being emotion_reference.forward on fer's own scaling ((gray / 255 - 0.5) * 2); maxDiff is
max |onnxruntime(model) - reference|. test/recognition/attributes.test.ts checks both.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnxruntime as ort

from emotion_reference import fer_scaling, forward, load_keras_model


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True, type=Path)
    ap.add_argument("--hdf5", required=True, type=Path)
    ap.add_argument("--gray", required=True, type=Path)
    args = ap.parse_args(argv)
    raw = np.frombuffer(args.gray.read_bytes(), dtype=np.uint8)
    if raw.size == 0 or raw.size % 4096:
        print(f"check_emotion_export.py: error: {args.gray}: {raw.size} bytes is not N x 64 x 64", file=sys.stderr)
        return 1
    gray = raw.reshape(-1, 64, 64).astype(np.float32)
    session = ort.InferenceSession(str(args.model), providers=["CPUExecutionProvider"])
    got = session.run(["probabilities"], {"input": gray[:, None]})[0]
    want = forward(load_keras_model(args.hdf5), fer_scaling(gray))
    print(json.dumps({"faces": int(gray.shape[0]), "maxDiff": float(np.abs(got - want).max()), "reference": want.tolist()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
