#!/usr/bin/env python3
"""onnxruntime session options for the SFace recognizer, one intra-op thread, interleaved in one process.

  .facefleet/venv/bin/python bench/sface-speed/session_options.py [--rounds 10]

Python onnxruntime 1.30.0 (models/export/requirements.txt: the version onnxruntime-node runs, same kernels) on
8 LFW chips aligned like the int8 calibration (models/export/quantize_int8.py sface_chip). Each model runs under
each option set: graph optimisation all (models/model-session.ts) / extended / basic, thread spinning off,
denormals as zero, parallel execution mode. Per run: the thread's CPU time (the session runs on the calling thread
with one intra-op thread, so other processes on a shared machine barely stretch it) and the wall time.
Writes bench/results/sface-session-options.json and .md.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import onnxruntime as ort

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "models" / "export"))
from quantize_int8 import list_images, sface_chip, to_nchw  # noqa: E402

MODELS = ROOT / ".facefleet" / "models"
FILES = {"sface-2021dec-opt-int8": "face_recognition_sface_2021dec_opt_int8.onnx", "sface-2021dec-opt": "face_recognition_sface_2021dec_opt.onnx"}
LEVELS = {"all": ort.GraphOptimizationLevel.ORT_ENABLE_ALL, "extended": ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
          "basic": ort.GraphOptimizationLevel.ORT_ENABLE_BASIC}
OPTION_SETS = {
    "default (all)": {},
    "optimisation extended": {"level": "extended"},
    "optimisation basic": {"level": "basic"},
    "spinning off": {"config": {"session.intra_op.allow_spinning": "0"}},
    "denormals as zero": {"config": {"session.set_denormal_as_zero": "1"}},
    "parallel execution mode": {"parallel": True},
}


def session(path: Path, opts: dict) -> ort.InferenceSession:
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.graph_optimization_level = LEVELS[opts.get("level", "all")]
    so.log_severity_level = 3
    for key, value in opts.get("config", {}).items():
        so.add_session_config_entry(key, value)
    if opts.get("parallel"):
        so.execution_mode = ort.ExecutionMode.ORT_PARALLEL
    return ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])


def main() -> int:
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 10
    lfw = Path(os.environ.get("FACEFLEET_SHARED", ROOT.parent / "shared")) / "data" / "lfw_dev" / "images"
    x = to_nchw([sface_chip(p) for p in list_images(str(lfw), 8)])
    runs = [(model, name, session(MODELS / file, opts)) for model, file in FILES.items() for name, opts in OPTION_SETS.items()]
    cpu: list[list[float]] = [[] for _ in runs]
    wall: list[list[float]] = [[] for _ in runs]
    load_before = os.getloadavg()[0]
    for r in range(-1, rounds):
        for k, (_, _, s) in enumerate(runs):
            for i in range(len(x)):
                c0, t0 = time.thread_time(), time.perf_counter()
                s.run(None, {"data": x[i : i + 1]})
                if r >= 0:
                    cpu[k].append((time.thread_time() - c0) * 1e3)
                    wall[k].append((time.perf_counter() - t0) * 1e3)
    rows = []
    for k, (model, name, _) in enumerate(runs):
        base = next(j for j, (m, n, _) in enumerate(runs) if m == model and n == "default (all)")
        rows.append({"model": model, "options": name, "runs": len(cpu[k]),
                     "medianCpuMs": round(float(np.median(cpu[k])), 2), "p10CpuMs": round(float(np.percentile(cpu[k], 10)), 2),
                     "minCpuMs": round(min(cpu[k]), 2), "medianWallMs": round(float(np.median(wall[k])), 2),
                     "cpuVsDefault": round(float(np.median(cpu[k]) / np.median(cpu[base])), 3)})
    result = {"generatedAt": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "command": f".facefleet/venv/bin/python bench/sface-speed/session_options.py --rounds {rounds}",
              "machine": f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
              "onnxruntime": ort.__version__, "loadAverage1m": {"before": round(load_before, 2), "after": round(os.getloadavg()[0], 2)},
              "rows": rows}
    out = ROOT / "bench" / "results"
    (out / "sface-session-options.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# onnxruntime session options for SFace (1 intra-op thread)", "",
             f"Generated {result['generatedAt']} by `{result['command']}` ({result['machine']}, Python onnxruntime {ort.__version__}). "
             f"8 LFW chips x {rounds} rounds per model and option set after one warm-up round, all interleaved in one process. "
             f"1-minute load average {result['loadAverage1m']['before']} before, {result['loadAverage1m']['after']} after (shared machine): "
             "compare the CPU columns (the calling thread's CPU time per run) within this run.", "",
             "| model | options | runs | median CPU ms | p10 CPU ms | min CPU ms | median wall ms | CPU / default |",
             "|---|---|---|---|---|---|---|---|"]
    lines += [f"| {r['model']} | {r['options']} | {r['runs']} | {r['medianCpuMs']} | {r['p10CpuMs']} | {r['minCpuMs']} | {r['medianWallMs']} | {r['cpuVsDefault']} |" for r in rows]
    (out / "sface-session-options.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
