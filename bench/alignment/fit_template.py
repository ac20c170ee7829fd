"""Fits the recognizer's alignment template to dlib's own face alignment.

dlib's ResNet descriptor was trained on chips cut by dlib.get_face_chip_details(shape, 150, 0.25), which maps
dlib's 5-point landmarks (eye corners, nose base) onto a fixed template by a similarity transform. facefleet
aligns with YuNet's 5 points (eye centres, nose tip, mouth corners) instead. For each LFW gallery picture
this script finds dlib's 5 points (HOG box nearest the centre), computes dlib's picture -> chip transform,
maps YuNet's points through it, and prints the per-point median: where YuNet's points sit in dlib's chip.

    bench/.venv/bin/python bench/alignment/fit_template.py bench/.cache/yunet-landmarks.json
"""
import json
import sys

import face_recognition
import numpy as np

SIZE, PADDING = 150, 0.25
# dlib's 5-point template (get_face_chip_details, interpolation.h), parts 0..4.
DLIB5 = np.array([[0.8595674595992, 0.2134981538014], [0.6460604764104, 0.2289674387677],
                  [0.1205750620789, 0.2137274526848], [0.3340850613712, 0.2290642403242],
                  [0.4901123135679, 0.6277975316475]])
TARGET = (PADDING + DLIB5) / (2 * PADDING + 1) * SIZE


def similarity(src, dst):
    """Least-squares similarity transform (no reflection) taking src onto dst: returns (a, b, tx, ty)."""
    ms, md = src.mean(0), dst.mean(0)
    s, d = src - ms, dst - md
    norm = (s ** 2).sum()
    a = (s[:, 0] * d[:, 0] + s[:, 1] * d[:, 1]).sum() / norm
    b = (s[:, 0] * d[:, 1] - s[:, 1] * d[:, 0]).sum() / norm
    return a, b, md[0] - (a * ms[0] - b * ms[1]), md[1] - (b * ms[0] + a * ms[1])


def apply(t, p):
    a, b, tx, ty = t
    return np.stack([a * p[:, 0] - b * p[:, 1] + tx, b * p[:, 0] + a * p[:, 1] + ty], 1)


def main(path):
    yunet = json.load(open(path))
    mapped = []
    for i, (image_path, points) in enumerate(sorted(yunet.items())):
        image = face_recognition.load_image_file(image_path)
        boxes = face_recognition.face_locations(image)
        if not boxes:
            continue
        box = min(boxes, key=lambda b: abs((b[1] + b[3]) / 2 - 125) + abs((b[0] + b[2]) / 2 - 125))
        marks = face_recognition.face_landmarks(image, [box], model="small")[0]
        dlib5 = np.array(marks["right_eye"] + marks["left_eye"] + marks["nose_tip"], dtype=float)
        mapped.append(apply(similarity(dlib5, TARGET), np.array(points, dtype=float)))
        if (i + 1) % 100 == 0:
            print(f"{i + 1}/{len(yunet)}", file=sys.stderr)
    mapped = np.array(mapped)
    template = np.median(mapped, 0)
    spread = np.median(np.abs(mapped - template), 0)
    print(json.dumps({"faces": len(mapped), "template": np.round(template, 4).tolist(), "medianAbsDeviation": np.round(spread, 3).tolist()}))


if __name__ == "__main__":
    main(sys.argv[1])
