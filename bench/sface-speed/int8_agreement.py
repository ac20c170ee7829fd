#!/usr/bin/env python3
"""How closely int8 SFace files follow the fp32 rewrite, on LFW chips none of them was calibrated on.

  .facefleet/venv/bin/python bench/sface-speed/int8_agreement.py [--chips 256] FILE.onnx ...

Chips: the LFW dev pictures that are not among models/build.sh's 200 calibration pictures (quantize_int8.py takes
indices floor(i * n / 200) of the sorted list), N of them evenly spaced, aligned like the calibration (sface_chip).
Per file: cosine(embedding, fp32 rewrite's) mean, 1st percentile and min; today's sface-2021dec-opt-int8 first.
Python onnxruntime 1.30.0, one thread, one chip per run. Writes bench/results/sface-int8-agreement.json and .md.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models" / "export"))
from quantize_int8 import list_images, sface_chip, to_nchw  # noqa: E402

MODELS = ROOT / ".facefleet" / "models"
CALIBRATION_COUNT = 200


def embed(path: Path, x: np.ndarray) -> np.ndarray:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    s = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    e = np.concatenate([s.run(None, {name: x[i : i + 1]})[0] for i in range(len(x))])
    return e / np.linalg.norm(e, axis=1, keepdims=True)


def main() -> int:
    args = sys.argv[1:]
    chips = 256
    if "--chips" in args:
        i = args.index("--chips")
        chips = int(args[i + 1])
        del args[i : i + 2]
    lfw = Path(os.environ.get("FACEFLEET_SHARED", ROOT.parent / "shared")) / "data" / "lfw_dev" / "images"
    files = list_images(str(lfw), None)
    calibration = {files[(i * len(files)) // CALIBRATION_COUNT] for i in range(CALIBRATION_COUNT)}
    held_out = [f for f in files if f not in calibration]
    picked = [held_out[(i * len(held_out)) // chips] for i in range(chips)]
    x = to_nchw([sface_chip(p) for p in picked])
    ref = embed(MODELS / "face_recognition_sface_2021dec_opt.onnx", x)
    rows = []
    for f in [MODELS / "face_recognition_sface_2021dec_opt_int8.onnx", *map(Path, args)]:
        c = (embed(f, x) * ref).sum(1)
        rows.append({"file": f.name, "sha256": hashlib.sha256(f.read_bytes()).hexdigest(),
                     "meanCosine": round(float(c.mean()), 5), "p1Cosine": round(float(np.percentile(c, 1)), 5),
                     "minCosine": round(float(c.min()), 5)})
        print(f"{f.name}: {rows[-1]}", flush=True)
    result = {"generatedAt": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "command": "bench/sface-speed/int8_agreement.py --chips " + str(chips) + "".join(f" {Path(a).name}" for a in args),
              "chips": chips, "onnxruntime": ort.__version__, "rows": rows}
    out = ROOT / "bench" / "results"
    (out / "sface-int8-agreement.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# int8 SFace files against the fp32 rewrite (held-out LFW chips)", "",
             f"Generated {result['generatedAt']} by `.facefleet/venv/bin/python {result['command']}` (Python onnxruntime "
             f"{ort.__version__}). {chips} LFW dev chips that are not among the 200 calibration pictures, aligned like "
             "the calibration; cosine between each file's embedding and sface-2021dec-opt's.", "",
             "| file | sha256 | mean cosine | 1st percentile | min |", "|---|---|---|---|---|"]
    lines += [f"| {r['file']} | {r['sha256'][:12]}… | {r['meanCosine']} | {r['p1Cosine']} | {r['minCosine']} |" for r in rows]
    (out / "sface-int8-agreement.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
