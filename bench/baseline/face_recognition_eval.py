#!/usr/bin/env python3
"""Classic face_recognition 1.3.0 baseline (dlib HOG detector + 128-d ResNet descriptor, L2 threshold 0.6).

This is the pipeline that earlier Kafka/Spark face-recognition systems used. Each subcommand measures it
on the shared data and writes one JSON file (atomically) for the project's bench scripts:

  knn           knn_examples: enrol train/, recognise every face in test/, score against test_labels.json
  lfw-verify    LFW pairs (4 folds): accuracy at L2 <= 0.6 and LFW-protocol (leave-one-fold-out threshold)
  lfw-identify  LFW gallery/probes: open-set 1:N identification at L2 <= 0.6
  speed         per-stage latency (decode/detect/embed/match) on the example images and the Hamilton clip
  enrollment    LFW gallery pictures the knn example's enrolment rule (exactly one HOG face) refuses, and why
  noface        HOG detections on the no-face set (test/fixtures/noface-set, fetched into .facefleet/noface-set)
  all           the six above, each in its own child process (so peak RSS of `speed` is clean)

Run:  bash bench/baseline/setup.sh && bench/.venv/bin/python bench/baseline/face_recognition_eval.py all
"""
from __future__ import annotations

import os

# Single-threaded measurement. These must be set before numpy / dlib are imported. The dlib-bin wheel
# links no BLAS/OpenMP library (ldd shows only libc/libstdc++/libpthread), so they are mostly a record
# of intent; the speed JSON also records the thread count the process really had.
THREAD_ENV = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
os.environ.update(THREAD_ENV)

import argparse
import hashlib
import json
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import datetime, timezone
from pathlib import Path

warnings.filterwarnings("ignore", category=UserWarning)  # pkg_resources deprecation from face_recognition_models
warnings.filterwarnings("ignore", category=DeprecationWarning)

import numpy as np  # noqa: E402
import dlib  # noqa: E402
import face_recognition  # noqa: E402

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEFAULT_SHARED = REPO.parent / "shared" / "data"
DEFAULT_CACHE = REPO / "bench" / ".cache" / "baseline-descriptors.jsonl"
NOFACE_SPEC = REPO / "test" / "fixtures" / "noface-set" / "noface-set.json"
NOFACE_PICTURES = REPO / ".facefleet" / "noface-set" / "pictures"
RESULTS = REPO / "bench" / "results"

TOLERANCE = 0.6          # face_recognition's default compare_faces tolerance (L2 distance <= 0.6 -> same person)
UPSAMPLE = 1             # face_locations default number_of_times_to_upsample
DETECT_MODEL = "hog"     # face_locations default
ENCODE_MODEL = "small"   # face_encodings default landmark model in 1.3.0 (5-point)
NUM_JITTERS = 1          # face_encodings default
# Fallback box for LFW deep-funneled 250x250 crops when HOG finds no face, as fractions of (h, w):
# (top, right, bottom, left) = (60, 190, 190, 60) on a 250x250 image.
FALLBACK_FRAC = (60 / 250, 190 / 250, 190 / 250, 60 / 250)
CACHE_VERSION = 1
SWEEP = (0.4, 0.45, 0.5, 0.55, 0.6, 0.65)  # extra thresholds reported next to the fixed 0.6


# ----------------------------------------------------------------------------------------------- utils

def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


class Progress:
    """A counter line on stderr every `every` items (and at the end)."""

    def __init__(self, label: str, total: int, every: int = 100):
        self.label, self.total, self.every, self.n = label, total, every, 0
        self.t0 = time.perf_counter()

    def step(self) -> None:
        self.n += 1
        if self.n % self.every == 0 or self.n == self.total:
            dt = time.perf_counter() - self.t0
            rate = self.n / dt if dt > 0 else 0.0
            eta = (self.total - self.n) / rate if rate > 0 else 0.0
            log(f"  [{self.label}] {self.n}/{self.total}  {rate:.1f}/s  eta {eta:.0f}s")


def write_json_atomic(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=str(path.parent))
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # mkstemp creates 0600; give the result the usual permissions
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def sha1_file(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def cpu_flags() -> dict:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                fl = set(line.split(":", 1)[1].split())
                return {k: (k in fl) for k in ("sse4_1", "sse4_2", "avx", "avx2", "fma", "avx512f")}
    except OSError:
        pass
    return {}


def dist_version(name: str) -> str | None:
    try:
        import importlib.metadata as md
        return md.version(name)
    except Exception:
        return None


def environment() -> dict:
    return {
        "python": platform.python_version(),
        "dlib": dlib.__version__,
        "dlib_bin_wheel": dist_version("dlib-bin"),
        "dlib_use_cuda": bool(getattr(dlib, "DLIB_USE_CUDA", False)),
        "face_recognition": dist_version("face-recognition"),
        "face_recognition_module_version_attr": getattr(face_recognition, "__version__", None),
        "face_recognition_models": dist_version("face-recognition-models"),
        "numpy": np.__version__,
        "pillow": dist_version("pillow"),
        "cpu_model": cpu_model(),
        "cpu_flags": cpu_flags(),
        "logical_cpus": os.cpu_count(),
        "platform": platform.platform(),
        "thread_env": {k: os.environ.get(k) for k in THREAD_ENV},
    }


def pipeline_params() -> dict:
    return {
        "detector": f"dlib HOG (face_recognition.face_locations model={DETECT_MODEL!r}, "
                    f"number_of_times_to_upsample={UPSAMPLE})",
        "descriptor": f"dlib ResNet 128-d (face_recognition.face_encodings model={ENCODE_MODEL!r}, "
                      f"num_jitters={NUM_JITTERS})",
        "distance": "Euclidean (L2) between descriptors",
        "threshold": TOLERANCE,
        "decision": "same / match if distance <= threshold (face_recognition.compare_faces semantics)",
    }


def header(kind: str, args) -> dict:
    return {
        "schema": f"facefleet.baseline.{kind}/v1",
        "baseline": "face_recognition 1.3.0 (dlib HOG + ResNet 128-d)",
        "created_utc": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "shared_dir": str(Path(args.shared).resolve()),
        "pipeline": pipeline_params(),
        "environment": environment(),
    }


def rel_to(path: Path, base: Path) -> str:
    try:
        return str(path.resolve().relative_to(base.resolve()))
    except ValueError:
        return str(path)


# ----------------------------------------------------------------------------------------------- cache

class DescriptorCache:
    """Append-only JSON-lines cache of detection + descriptor results, keyed by mode, path and content hash.

    mode "all":     every HOG face in the image with its descriptor (knn_examples)
    mode "central": HOG faces, the chosen central face (or the fallback box) and its descriptor (LFW)
    """

    def __init__(self, path: Path | None):
        self.path = path
        self.data: dict[str, dict] = {}
        self.hits = self.misses = 0
        if path and path.exists():
            with open(path) as f:
                for line in f:
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # torn last line of an interrupted run
                    if rec.get("v") == CACHE_VERSION:
                        self.data[rec["key"]] = rec
        self._fh = None

    def key(self, mode: str, image: Path) -> str:
        return f"{mode}|{image.resolve()}|{sha1_file(image)}|up{UPSAMPLE}|{ENCODE_MODEL}|j{NUM_JITTERS}"

    def get(self, key: str):
        rec = self.data.get(key)
        if rec is None:
            self.misses += 1
        else:
            self.hits += 1
        return rec

    def put(self, key: str, rec: dict) -> None:
        rec = dict(rec, key=key, v=CACHE_VERSION)
        self.data[key] = rec
        if self.path:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = open(self.path, "a")
            self._fh.write(json.dumps(rec) + "\n")
            self._fh.flush()

    def close(self) -> None:
        if self._fh:
            self._fh.close()
            self._fh = None


def faces_all(cache: DescriptorCache, image: Path) -> dict:
    """All HOG faces of an image with their descriptors: {"size": [h, w], "locations": [...], "encodings": [...]}."""
    key = cache.key("all", image)
    rec = cache.get(key)
    if rec is None:
        img = face_recognition.load_image_file(str(image))
        locs = face_recognition.face_locations(img, number_of_times_to_upsample=UPSAMPLE, model=DETECT_MODEL)
        encs = face_recognition.face_encodings(img, locs, num_jitters=NUM_JITTERS, model=ENCODE_MODEL)
        rec = {"size": list(img.shape[:2]), "locations": [list(map(int, l)) for l in locs],
               "encodings": [[float(x) for x in e] for e in encs]}
        cache.put(key, rec)
    return rec


def face_central(cache: DescriptorCache, image: Path) -> dict:
    """Descriptor of the central face (LFW). Falls back to the fixed central box when HOG finds nothing.

    Returns {"size", "n_detected", "box", "fallback": bool, "encoding"}.
    """
    key = cache.key("central", image)
    rec = cache.get(key)
    if rec is None:
        img = face_recognition.load_image_file(str(image))
        h, w = img.shape[:2]
        locs = face_recognition.face_locations(img, number_of_times_to_upsample=UPSAMPLE, model=DETECT_MODEL)
        if locs:
            cy, cx = h / 2.0, w / 2.0

            def d2(l):
                t, r, b, lft = l
                return ((t + b) / 2.0 - cy) ** 2 + ((lft + r) / 2.0 - cx) ** 2

            box = min(locs, key=d2)
            fallback = False
        else:
            ft, fr, fb, fl = FALLBACK_FRAC
            box = (int(round(ft * h)), int(round(fr * w)), int(round(fb * h)), int(round(fl * w)))
            fallback = True
        enc = face_recognition.face_encodings(img, [box], num_jitters=NUM_JITTERS, model=ENCODE_MODEL)[0]
        rec = {"size": [h, w], "n_detected": len(locs), "box": list(map(int, box)), "fallback": fallback,
               "encoding": [float(x) for x in enc]}
        cache.put(key, rec)
    return rec


def open_cache(args) -> DescriptorCache:
    return DescriptorCache(None if args.no_cache else Path(args.cache))


# ----------------------------------------------------------------------------------------------- knn

def cmd_knn(args) -> dict:
    shared = Path(args.shared)
    root = shared / "face_recognition_examples"
    knn = root / "examples" / "knn_examples"
    labels_raw = json.loads((root / "test_labels.json").read_text())
    labels = {k: v for k, v in labels_raw.items() if not k.startswith("_")}
    cache = open_cache(args)
    t0 = time.perf_counter()

    # Enrolment: one face per train image, else rejected (as upstream's face_recognition_knn.py does).
    enrolled_names, enrolled_encs, enrolment = [], [], []
    for person_dir in sorted(p for p in (knn / "train").iterdir() if p.is_dir()):
        for img in sorted(p for p in person_dir.iterdir() if p.is_file()):
            rec = faces_all(cache, img)
            n = len(rec["locations"])
            ok = n == 1
            enrolment.append({"image": rel_to(img, root), "identity": person_dir.name, "faces_detected": n,
                              "enrolled": ok,
                              "rejected_reason": None if ok else ("no face" if n == 0 else f"{n} faces")})
            if ok:
                enrolled_names.append(person_dir.name)
                enrolled_encs.append(rec["encodings"][0])
    gallery = np.asarray(enrolled_encs, dtype=np.float64)

    per_image = []
    tot = {"labelled_faces": 0, "correct": 0, "wrong_names": 0, "missed": 0, "unknowns": 0, "faces_detected": 0}
    test_imgs = sorted(p for p in (knn / "test").iterdir() if p.is_file())
    for img in test_imgs:
        relk = rel_to(img, root)
        if relk not in labels:
            log(f"  warning: no label for {relk}; skipped")
            continue
        want = list(labels[relk]["identities"])
        rec = faces_all(cache, img)
        faces = []
        for loc, enc in zip(rec["locations"], rec["encodings"]):
            if len(gallery):
                d = np.linalg.norm(gallery - np.asarray(enc), axis=1)
                j = int(np.argmin(d))
                name = enrolled_names[j] if d[j] <= TOLERANCE else "Unknown"
                faces.append({"box_trbl": loc, "name": name, "nearest": enrolled_names[j],
                              "distance": round(float(d[j]), 4)})
            else:
                faces.append({"box_trbl": loc, "name": "Unknown", "nearest": None, "distance": None})
        credited, wrong, unknown = set(), [], 0
        for f in faces:
            if f["name"] == "Unknown":
                unknown += 1
            elif f["name"] in want and f["name"] not in credited:
                credited.add(f["name"])
            else:
                wrong.append(f["name"])  # a name not in the image, or the same person named twice
        missed = [w for w in want if w not in credited]
        per_image.append({"image": relk, "labels": want, "faces": faces, "correct": sorted(credited),
                          "wrong_names": wrong, "missed": missed, "unknowns": unknown,
                          "all_labelled_found": not missed and not wrong})
        tot["labelled_faces"] += len(want)
        tot["correct"] += len(credited)
        tot["wrong_names"] += len(wrong)
        tot["missed"] += len(missed)
        tot["unknowns"] += unknown
        tot["faces_detected"] += len(faces)
    cache.close()

    acc = tot["correct"] / tot["labelled_faces"] if tot["labelled_faces"] else None
    out = header("knn", args)
    out.update({
        "task": "knn_examples: enrol train/ (1 face per image), 1-NN over enrolled descriptors for every detected "
                "test face, L2 <= 0.6 else Unknown",
        "enrolment": {"images": len(enrolment), "enrolled": len(enrolled_names),
                      "rejected": [e for e in enrolment if not e["enrolled"]], "per_image": enrolment},
        "test_images": len(per_image),
        "totals": tot,
        "top1_accuracy_labelled_faces": acc,
        "images_fully_correct": sum(1 for p in per_image if p["all_labelled_found"]),
        "per_image": per_image,
        "notes": ["top1_accuracy_labelled_faces = correct labelled identities found / labelled faces; "
                  "wrong_names counts faces given a name not in the image's labels (or a repeated name); "
                  "unknowns counts detected faces matched to no one (includes unlabelled extra faces)."],
        "elapsed_s": round(time.perf_counter() - t0, 2),
        "cache": {"hits": cache.hits, "misses": cache.misses},
    })
    write_json_atomic(Path(args.out), out)
    print(f"knn: {tot['correct']}/{tot['labelled_faces']} labelled faces correct "
          f"(top-1 {acc:.1%}); wrong names {tot['wrong_names']}, missed {tot['missed']}, unknown faces "
          f"{tot['unknowns']}; enrolled {len(enrolled_names)}/{len(enrolment)} train images -> {args.out}")
    return out


# ----------------------------------------------------------------------------------------------- LFW

def read_tsv(path: Path) -> list[dict]:
    lines = path.read_text().splitlines()
    head = lines[0].split("\t")
    return [dict(zip(head, ln.split("\t"))) for ln in lines[1:] if ln.strip()]


def central_encodings(cache: DescriptorCache, base: Path, images: list[str], label: str) -> dict[str, dict]:
    uniq = sorted(set(images))
    prog = Progress(label, len(uniq))
    out = {}
    for rel in uniq:
        out[rel] = face_central(cache, base / rel)
        prog.step()
    return out


def best_threshold(d: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """Threshold t (decision: same if d <= t) with the highest accuracy on (d, same); midpoints between sorted values."""
    order = np.argsort(d, kind="mergesort")
    ds, ys = d[order], same[order].astype(np.int64)
    n = len(ds)
    # accuracy if the first k sorted pairs are called "same": TP(k) + TN(k)
    tp = np.concatenate([[0], np.cumsum(ys)])
    fp = np.concatenate([[0], np.cumsum(1 - ys)])
    tn = (n - ys.sum()) - fp
    acc = (tp + tn) / n
    # only cut between distinct values
    valid = np.ones(n + 1, dtype=bool)
    valid[1:n] = ds[1:] > ds[:-1]
    acc_v = np.where(valid, acc, -1)
    k = int(np.argmax(acc_v))
    if k == 0:
        t = float(ds[0]) - 1e-6
    elif k == n:
        t = float(ds[-1]) + 1e-6
    else:
        t = float((ds[k - 1] + ds[k]) / 2)
    return t, float(acc[k])


def roc_auc(d: np.ndarray, same: np.ndarray) -> float:
    # AUC of score = -d for same=1 (Mann-Whitney U with ties at 0.5)
    pos, neg = -d[same == 1], -d[same == 0]
    allv = np.concatenate([pos, neg])
    ranks = np.empty(len(allv))
    order = np.argsort(allv, kind="mergesort")
    sv = allv[order]
    i = 0
    while i < len(sv):
        j = i
        while j + 1 < len(sv) and sv[j + 1] == sv[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2.0 + 1
        i = j + 1
    u = ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2
    return float(u / (len(pos) * len(neg)))


def cmd_lfw_verify(args) -> dict:
    base = Path(args.shared) / "lfw_dev"
    pairs = read_tsv(base / "pairs.tsv")
    cache = open_cache(args)
    t0 = time.perf_counter()
    encs = central_encodings(cache, base, [p["img1"] for p in pairs] + [p["img2"] for p in pairs], "lfw-verify")
    cache.close()

    d = np.array([np.linalg.norm(np.asarray(encs[p["img1"]]["encoding"]) - np.asarray(encs[p["img2"]]["encoding"]))
                  for p in pairs])
    same = np.array([int(p["same"]) for p in pairs])
    fold = np.array([int(p["lfw_fold"]) for p in pairs])
    fb = np.array([encs[p["img1"]]["fallback"] or encs[p["img2"]]["fallback"] for p in pairs])

    pred = d <= TOLERANCE
    acc_fixed = float(np.mean(pred == (same == 1)))
    tar = float(np.mean(pred[same == 1]))
    far = float(np.mean(pred[same == 0]))

    folds = sorted(set(fold.tolist()))
    per_fold = []
    for k in folds:
        tr, te = fold != k, fold == k
        t, tr_acc = best_threshold(d[tr], same[tr])
        te_acc = float(np.mean((d[te] <= t) == (same[te] == 1)))
        per_fold.append({"fold": k, "threshold": round(t, 4), "train_accuracy": round(tr_acc, 4),
                         "test_accuracy": te_acc,
                         "accuracy_at_0.6": float(np.mean((d[te] <= TOLERANCE) == (same[te] == 1))),
                         "pairs": int(te.sum())})
    accs = np.array([f["test_accuracy"] for f in per_fold])
    mean, std = float(accs.mean()), float(accs.std())  # population std, as LFW/facenet evaluations report
    sem = float(accs.std(ddof=1) / np.sqrt(len(accs))) if len(accs) > 1 else 0.0
    t_all, acc_oracle = best_threshold(d, same)

    imgs = list(encs.values())
    n_fail = sum(1 for r in imgs if r["fallback"])
    n_multi = sum(1 for r in imgs if r["n_detected"] > 1)
    ok = ~fb
    out = header("lfw-verify", args)
    out.update({
        "task": "LFW View-2 pairs, folds 1-4 (lfw_dev/pairs.tsv): L2 distance between central-face descriptors",
        "pairs": len(pairs), "same_pairs": int(same.sum()), "different_pairs": int((1 - same).sum()),
        "unique_images": len(imgs),
        "detection": {
            "failures_images": n_fail,
            "failure_rate_images": n_fail / len(imgs),
            "pairs_with_a_failure": int(fb.sum()),
            "images_with_multiple_faces": n_multi,
            "fallback_box_trbl_250": [60, 190, 190, 60],
            "failed_images": sorted(k for k, r in encs.items() if r["fallback"]),
            "policy": "central face = detected box whose centre is closest to the image centre; if HOG finds none, "
                      "the fixed central box (top,right,bottom,left)=(60,190,190,60) is passed to face_encodings",
        },
        "fixed_threshold": {"threshold": TOLERANCE, "accuracy": acc_fixed, "tar": tar, "far": far,
                            "accuracy_pairs_without_failure": float(np.mean(pred[ok] == (same[ok] == 1))),
                            "accuracy_pairs_with_failure": (float(np.mean(pred[fb] == (same[fb] == 1)))
                                                            if fb.any() else None)},
        "lfw_protocol": {"description": f"{len(folds)}-fold leave-one-fold-out: best threshold on the other folds, "
                                        "accuracy on the held-out fold",
                         "mean_accuracy": mean, "std_accuracy": std, "std_error": sem,
                         "mean_threshold": float(np.mean([f["threshold"] for f in per_fold])),
                         "per_fold": per_fold},
        "all_pairs_best_threshold": {"threshold": round(t_all, 4), "accuracy": acc_oracle,
                                     "note": "optimistic (chosen on the test pairs); for reference only"},
        "threshold_sweep": [{"threshold": t, "accuracy": float(np.mean((d <= t) == (same == 1))),
                             "tar": float(np.mean(d[same == 1] <= t)), "far": float(np.mean(d[same == 0] <= t))}
                            for t in SWEEP],
        "roc_auc": roc_auc(d, same),
        "distance_stats": {"same_median": float(np.median(d[same == 1])), "diff_median": float(np.median(d[same == 0]))},
        "reference": "dlib's published LFW accuracy for this model is 99.38% (10 folds, its own detection/alignment)",
        "elapsed_s": round(time.perf_counter() - t0, 2),
        "cache": {"hits": cache.hits, "misses": cache.misses},
    })
    write_json_atomic(Path(args.out), out)
    print(f"lfw-verify: {len(pairs)} pairs; accuracy at 0.6 = {acc_fixed:.2%} (TAR {tar:.2%}, FAR {far:.2%}); "
          f"{len(folds)}-fold protocol = {mean:.2%} +- {std:.2%} (mean thr {out['lfw_protocol']['mean_threshold']:.3f}); "
          f"detection failures {n_fail}/{len(imgs)} images -> {args.out}")
    return out


def sweep_identify(nearest_k, nearest_u) -> list[dict]:
    dk = np.array([x[0] for x in nearest_k])
    hit = np.array([x[1] for x in nearest_k])
    du = np.array(nearest_u)
    return [{"threshold": t,
             "enrolled_top1": float(np.mean(hit & (dk <= t))),
             "enrolled_wrong_name": float(np.mean(~hit & (dk <= t))),
             "enrolled_unknown": float(np.mean(dk > t)),
             "unknown_rejected": float(np.mean(du > t)),
             "unknown_false_accept": float(np.mean(du <= t))} for t in SWEEP]


def cmd_lfw_identify(args) -> dict:
    base = Path(args.shared) / "lfw_dev"
    gallery_rows = read_tsv(base / "gallery.tsv")
    probe_rows = read_tsv(base / "probes.tsv")
    cache = open_cache(args)
    t0 = time.perf_counter()
    g = central_encodings(cache, base, [r["image"] for r in gallery_rows], "lfw-identify gallery")
    p = central_encodings(cache, base, [r["image"] for r in probe_rows], "lfw-identify probes")
    cache.close()

    g_names = [r["identity"] for r in gallery_rows]
    G = np.asarray([g[r["image"]]["encoding"] for r in gallery_rows])
    known = {"n": 0, "correct": 0, "wrong_name": 0, "unknown": 0, "rank1_closed_set": 0}
    unknown = {"n": 0, "rejected": 0, "false_accept": 0}
    fail_probe = {"known": 0, "unknown": 0}
    known_fail_correct = 0
    errors = []
    nearest_k, nearest_u = [], []  # (distance, nearest is the right identity) for enrolled probes; distance for unknown
    for r in probe_rows:
        rec = p[r["image"]]
        dd = np.linalg.norm(G - np.asarray(rec["encoding"]), axis=1)
        j = int(np.argmin(dd))
        nearest, dist = g_names[j], float(dd[j])
        name = nearest if dist <= TOLERANCE else "Unknown"
        if r["enrolled"] == "1":
            nearest_k.append((dist, nearest == r["identity"]))
            known["n"] += 1
            known["rank1_closed_set"] += int(nearest == r["identity"])
            if rec["fallback"]:
                fail_probe["known"] += 1
                known_fail_correct += int(name == r["identity"])
            if name == r["identity"]:
                known["correct"] += 1
            elif name == "Unknown":
                known["unknown"] += 1
            else:
                known["wrong_name"] += 1
                errors.append({"probe": r["image"], "truth": r["identity"], "predicted": name,
                               "distance": round(dist, 4), "fallback": rec["fallback"]})
        else:
            nearest_u.append(dist)
            unknown["n"] += 1
            if rec["fallback"]:
                fail_probe["unknown"] += 1
            if name == "Unknown":
                unknown["rejected"] += 1
            else:
                unknown["false_accept"] += 1

    n_fail_g = sum(1 for r in g.values() if r["fallback"])
    n_fail_p = sum(1 for r in p.values() if r["fallback"])
    out = header("lfw-identify", args)
    out.update({
        "task": "LFW open-set 1:N: gallery.tsv enrolled (1 descriptor per image, central face); each probe -> nearest "
                "gallery descriptor, L2 <= 0.6 -> that identity else Unknown",
        "gallery": {"images": len(gallery_rows), "identities": len(set(g_names))},
        "probes": {"total": len(probe_rows), "enrolled": known["n"], "not_enrolled": unknown["n"]},
        "enrolled_probes": {
            "top1_accuracy": known["correct"] / known["n"],
            "false_accept_wrong_name_rate": known["wrong_name"] / known["n"],
            "false_reject_unknown_rate": known["unknown"] / known["n"],
            "rank1_closed_set_accuracy": known["rank1_closed_set"] / known["n"],
            "counts": known,
        },
        "unknown_probes": {
            "rejection_rate": unknown["rejected"] / unknown["n"],
            "false_accept_rate": unknown["false_accept"] / unknown["n"],
            "counts": unknown,
        },
        "detection": {"gallery_failures": n_fail_g, "probe_failures": n_fail_p,
                      "probe_failures_by_kind": fail_probe,
                      "enrolled_probe_failures_still_correct": known_fail_correct,
                      "policy": "as lfw-verify: central detected face, else fixed central box (60,190,190,60)"},
        "threshold_sweep": sweep_identify(nearest_k, nearest_u),
        "wrong_name_examples": errors[:50],
        "elapsed_s": round(time.perf_counter() - t0, 2),
        "cache": {"hits": cache.hits, "misses": cache.misses},
    })
    write_json_atomic(Path(args.out), out)
    e, u = out["enrolled_probes"], out["unknown_probes"]
    print(f"lfw-identify: gallery {len(gallery_rows)} imgs / {len(set(g_names))} ids; enrolled probes {known['n']}: "
          f"top-1 {e['top1_accuracy']:.2%}, wrong name {e['false_accept_wrong_name_rate']:.2%}, "
          f"unknown {e['false_reject_unknown_rate']:.2%} (closed-set rank-1 {e['rank1_closed_set_accuracy']:.2%}); "
          f"unknown probes {unknown['n']}: rejected {u['rejection_rate']:.2%}, false accept "
          f"{u['false_accept_rate']:.2%}; detection failures gallery {n_fail_g}, probes {n_fail_p} -> {args.out}")
    return out


# ----------------------------------------------------------------------------------------------- speed

def stage_stats(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    a = np.asarray(values)
    return {"n": len(values), "median_ms": round(float(np.median(a)), 3), "mean_ms": round(float(a.mean()), 3),
            "p90_ms": round(float(np.percentile(a, 90)), 3), "min_ms": round(float(a.min()), 3),
            "max_ms": round(float(a.max()), 3), "total_ms": round(float(a.sum()), 1)}


def threads_now() -> int | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Threads:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def time_pipeline(files: list[Path], gallery: np.ndarray, names: list[str], label: str, repeats: int) -> dict:
    per = {"decode": [], "detect": [], "embed": [], "match": [], "total": []}
    rows = []
    max_threads = threads_now() or 0
    prog = Progress(label, len(files) * repeats)
    pc = time.perf_counter
    for rep in range(repeats):
        for i, f in enumerate(files):
            t0 = pc()
            img = face_recognition.load_image_file(str(f))
            t1 = pc()
            locs = face_recognition.face_locations(img, number_of_times_to_upsample=UPSAMPLE, model=DETECT_MODEL)
            t2 = pc()
            encs = face_recognition.face_encodings(img, locs, num_jitters=NUM_JITTERS, model=ENCODE_MODEL)
            t3 = pc()
            found = []
            for e in encs:
                dd = face_recognition.face_distance(gallery, e)
                j = int(np.argmin(dd))
                found.append(names[j] if dd[j] <= TOLERANCE else "Unknown")
            t4 = pc()
            ms = [(t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3, (t4 - t3) * 1e3, (t4 - t0) * 1e3]
            for k, v in zip(("decode", "detect", "embed", "match", "total"), ms):
                per[k].append(v)
            if rep == 0:
                rows.append({"file": f.name if label == "video" else str(f), "hw": list(img.shape[:2]),
                             "faces": len(locs), "names": found, "_ms": []})
            rows[i]["_ms"].append(ms)
            max_threads = max(max_threads, threads_now() or 0)
            prog.step()
    for r in rows:  # per image: median over the repeats
        r["ms_median_of_repeats"] = {k: round(float(np.median([m[i] for m in r["_ms"]])), 2)
                                     for i, k in enumerate(("decode", "detect", "embed", "match", "total"))}
        del r["_ms"]
    total_s = sum(per["total"]) / 1e3
    n = len(per["total"])
    faces = sum(r["faces"] for r in rows) * repeats
    embed_per_face = (sum(per["embed"]) / faces) if faces else None
    return {
        "images": n, "repeats": repeats, "faces_detected": faces,
        "images_per_s": n / total_s if total_s else None,
        "stages": {k: stage_stats(v) for k, v in per.items()},
        "embed_ms_per_face_mean": round(embed_per_face, 3) if embed_per_face else None,
        "max_threads_observed": max_threads,
        "per_image": rows,
    }


def cmd_speed(args) -> dict:
    shared = Path(args.shared)
    ex_root = shared / "face_recognition_examples"
    examples = ex_root / "examples"
    t_start = time.perf_counter()
    load_start = os.getloadavg()

    # (a) every *.jpg / *.jpeg / *.png under examples/ (the video excluded), byte-identical copies counted once
    all_imgs = sorted(p for p in examples.rglob("*") if p.is_file() and p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    seen, imgs, dups = {}, [], []
    for p in all_imgs:
        h = sha1_file(p)
        if h in seen:
            dups.append({"file": rel_to(p, ex_root), "same_as": rel_to(seen[h], ex_root)})
        else:
            seen[h] = p
            imgs.append(p)

    # match gallery: knn train images (1 face each) + the two Hamilton enrolment faces (as upstream examples)
    gal_files = sorted((examples / "knn_examples" / "train").rglob("*.*")) + \
        [examples / "alex-lacamoire.png", examples / "lin-manuel-miranda.png"]
    g_encs, g_names = [], []
    for f in gal_files:
        img = face_recognition.load_image_file(str(f))
        e = face_recognition.face_encodings(img)
        if len(e) >= 1:
            g_encs.append(e[0])
            g_names.append(f.parent.name if "knn_examples" in f.parts else f.stem)
    gallery = np.asarray(g_encs)

    # warm-up (model load, caches) on one image, not timed
    w = face_recognition.load_image_file(str(imgs[0]))
    face_recognition.face_encodings(w, face_recognition.face_locations(w))

    log(f"speed: {len(imgs)} unique example images ({len(dups)} duplicates skipped), gallery {len(gallery)}")
    res_imgs = time_pipeline(imgs, gallery, g_names, "images", args.repeats)
    for r in res_imgs["per_image"]:
        r["file"] = rel_to(Path(r["file"]), ex_root)

    # (b) video frames decoded with ffmpeg at --fps into a temp dir (JPEG, quality 2)
    video = examples / "short_hamilton_clip.mp4"
    ffmpeg = shutil.which("ffmpeg")
    res_vid = None
    if ffmpeg is None:
        log("speed: ffmpeg not found; video part skipped (apt-get install -y ffmpeg)")
    else:
        with tempfile.TemporaryDirectory(prefix="baseline-frames-") as td:
            t0 = time.perf_counter()
            subprocess.run([ffmpeg, "-v", "error", "-i", str(video), "-vf", f"fps={args.fps}", "-q:v", "2",
                            os.path.join(td, "frame_%05d.jpg")], check=True)
            extract_s = time.perf_counter() - t0
            frames = sorted(Path(td).glob("frame_*.jpg"))
            log(f"speed: {len(frames)} frames at {args.fps} fps extracted in {extract_s:.2f}s")
            res_vid = time_pipeline(frames, gallery, g_names, "video", args.repeats)
            res_vid["ffmpeg_extract_s"] = round(extract_s, 3)
            res_vid["fps_extracted"] = args.fps
            res_vid["ffmpeg"] = subprocess.run([ffmpeg, "-version"], capture_output=True, text=True).stdout.splitlines()[0]
            res_vid["frame_format"] = "JPEG (ffmpeg -q:v 2); decode stage = face_recognition.load_image_file of the frame"
            counts: dict[str, int] = {}
            for r in res_vid["per_image"]:
                for nme in r["names"]:
                    counts[nme] = counts.get(nme, 0) + 1
            res_vid["name_counts"] = counts
            res_vid["frames_with_face"] = sum(1 for r in res_vid["per_image"] if r["faces"])

    ru = resource.getrusage(resource.RUSAGE_SELF)
    out = header("speed", args)
    out.update({
        "task": "per-stage latency, 1 process, 1 thread requested: decode = load_image_file, detect = face_locations "
                "(HOG, upsample 1), embed = face_encodings (all detected faces), match = L2 1-NN vs gallery",
        "threads": {"env_set": THREAD_ENV, "max_threads_observed": max(res_imgs["max_threads_observed"],
                                                                       (res_vid or {}).get("max_threads_observed", 0)),
                    "note": "dlib-bin links no BLAS/OpenMP; dlib's CPU code paths used here run on the calling thread"},
        "match_gallery": {"size": len(gallery), "names": g_names},
        "examples_images": dict(res_imgs, duplicates_skipped=dups),
        "video": res_vid,
        "peak_rss_mb": round(ru.ru_maxrss / 1024.0, 1),
        "loadavg_1_5_15": {"start": [round(x, 2) for x in load_start], "end": [round(x, 2) for x in os.getloadavg()],
                           "note": "host load; values well above 1 at start mean other work shared the CPUs"},
        "cpu_user_s": round(ru.ru_utime, 2), "cpu_sys_s": round(ru.ru_stime, 2),
        "elapsed_s": round(time.perf_counter() - t_start, 2),
    })
    write_json_atomic(Path(args.out), out)

    def line(name, r):
        s = r["stages"]
        return (f"  {name}: {r['images']} imgs, {r['images_per_s']:.2f} img/s; median ms decode {s['decode']['median_ms']:.1f} "
                f"detect {s['detect']['median_ms']:.1f} embed {s['embed']['median_ms']:.1f} match "
                f"{s['match']['median_ms']:.3f} total {s['total']['median_ms']:.1f}")
    print("speed:")
    print(line("examples", res_imgs))
    if res_vid:
        print(line(f"video@{args.fps}fps", res_vid))
    print(f"  peak RSS {out['peak_rss_mb']:.0f} MB; threads observed {out['threads']['max_threads_observed']} -> {args.out}")
    return out


# ----------------------------------------------------------------------------------------------- enrolment, no-face

def hog_locations(image: Path) -> list:
    img = face_recognition.load_image_file(str(image))
    return face_recognition.face_locations(img, number_of_times_to_upsample=UPSAMPLE, model=DETECT_MODEL)


def cmd_enrollment(args) -> dict:
    """The LFW gallery through the knn example's enrolment rule: a picture is enrolled when HOG finds exactly one face."""
    base = Path(args.shared) / "lfw_dev"
    rows = read_tsv(base / "gallery.tsv")
    t0 = time.perf_counter()
    prog = Progress("enrollment", len(rows))
    reasons: dict[str, int] = {}
    refused = []
    for r in rows:
        n = len(hog_locations(base / r["image"]))
        if n != 1:
            reason = "no face found" if n == 0 else "several faces"
            reasons[reason] = reasons.get(reason, 0) + 1
            refused.append({"image": r["image"], "faces_detected": n})
        prog.step()
    out = header("enrollment", args)
    out.update({
        "task": "LFW dev gallery.tsv: enrol a picture when HOG finds exactly one face (face_recognition's knn example, "
                "'not suitable for training'), else refuse it",
        "pictures": len(rows), "accepted": len(rows) - len(refused), "refused": len(refused), "reasons": reasons,
        "refused_pictures": refused,
        "elapsed_s": round(time.perf_counter() - t0, 2),
    })
    write_json_atomic(Path(args.out), out)
    print(f"enrollment: {len(refused)} of {len(rows)} gallery pictures refused ({reasons}) -> {args.out}")
    return out


def cmd_noface(args) -> dict:
    """HOG detections on the no-face pictures (none shows a human face, so every detection is a false positive)."""
    spec = json.loads(NOFACE_SPEC.read_text())
    pictures = [Path(args.pictures) / p["name"] for p in spec["pictures"]]
    missing = [p.name for p in pictures if not p.exists()]
    if missing:
        raise SystemExit(f"{args.pictures}: {', '.join(missing)} missing; run scripts/fetch-noface-set.py")
    t0 = time.perf_counter()
    per_picture = []
    for p in pictures:
        locs = hog_locations(p)
        per_picture.append({"picture": p.name, "detections": len(locs), "boxes_trbl": [list(map(int, l)) for l in locs]})
    detections = sum(p["detections"] for p in per_picture)
    out = header("noface", args)
    out.update({
        "task": "HOG face_locations (upsample 1) on the no-face set (test/fixtures/noface-set/noface-set.json)",
        "pictures": len(pictures), "detections": detections,
        "pictures_with_face": sum(1 for p in per_picture if p["detections"] > 0),
        "per_picture": per_picture,
        "elapsed_s": round(time.perf_counter() - t0, 2),
    })
    write_json_atomic(Path(args.out), out)
    print(f"noface: {detections} detections in {out['pictures_with_face']} of {len(pictures)} pictures -> {args.out}")
    return out


# ----------------------------------------------------------------------------------------------- main

def cmd_all(args) -> int:
    rc = 0
    common = ["--shared", str(args.shared), "--cache", str(args.cache)] + (["--no-cache"] if args.no_cache else [])
    jobs = [
        ["knn", "--out", str(args.results / "baseline-knn.json")],
        ["lfw-verify", "--out", str(args.results / "baseline-lfw-verify.json")],
        ["lfw-identify", "--out", str(args.results / "baseline-lfw-identify.json")],
        ["speed", "--out", str(args.results / "baseline-speed.json"), "--fps", str(args.fps),
         "--repeats", str(args.repeats)],
        ["enrollment", "--out", str(args.results / "baseline-enrollment.json")],
        ["noface", "--out", str(args.results / "baseline-noface.json")],
    ]
    for job in jobs:
        t0 = time.perf_counter()
        log(f"== {job[0]}")
        r = subprocess.run([sys.executable, str(Path(__file__).resolve())] + job[:1] + common + job[1:])
        log(f"== {job[0]} done in {time.perf_counter() - t0:.1f}s (rc {r.returncode})")
        rc = rc or r.returncode
    return rc


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)

    def common(p):
        p.add_argument("--shared", default=str(DEFAULT_SHARED), help=f"shared data dir (default {DEFAULT_SHARED})")
        p.add_argument("--cache", default=str(DEFAULT_CACHE), help="descriptor cache (JSON lines)")
        p.add_argument("--no-cache", action="store_true", help="do not read or write the descriptor cache")

    for name, default in (("knn", "baseline-knn.json"), ("lfw-verify", "baseline-lfw-verify.json"),
                          ("lfw-identify", "baseline-lfw-identify.json"), ("speed", "baseline-speed.json"),
                          ("enrollment", "baseline-enrollment.json"), ("noface", "baseline-noface.json")):
        p = sub.add_parser(name)
        common(p)
        p.add_argument("--out", default=str(RESULTS / default))
        if name == "noface":
            p.add_argument("--pictures", default=str(NOFACE_PICTURES), help=f"the no-face pictures (default {NOFACE_PICTURES})")
        if name == "speed":
            p.add_argument("--fps", type=float, default=10.0, help="video frame extraction rate (default 10)")
            p.add_argument("--repeats", type=int, default=3, help="passes over each set (default 3)")
    p = sub.add_parser("all")
    common(p)
    p.add_argument("--results", type=Path, default=RESULTS, help="output folder for the four JSON files")
    p.add_argument("--fps", type=float, default=10.0)
    p.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)

    if args.cmd == "all":
        return cmd_all(args)
    {"knn": cmd_knn, "lfw-verify": cmd_lfw_verify, "lfw-identify": cmd_lfw_identify, "speed": cmd_speed,
     "enrollment": cmd_enrollment, "noface": cmd_noface}[args.cmd](args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
