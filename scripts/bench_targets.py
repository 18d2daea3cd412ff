#!/usr/bin/env python
"""Sizes and speed of every compressing target on the corpus images, against RLE Lossless and against peers.

Usage::

    .venv/bin/python scripts/bench_targets.py [--rounds 3] [--markdown] [IMAGE ...]

For each image, the command line's unit of work, ``dicompress.service.convert(data,
target)`` with verification (encode, decode again and compare, write, check the written
file), is timed for ``rle``, ``jpeg-ls``, ``j2k`` and ``htj2k``, rounds interleaved, the
median reported. Sizes are the encoded Pixel Data: the bytes of every frame's stream,
without the item headers. Ratios are against RLE Lossless measured in the same run.

The peers encode the same pixel values in the same run:

* DCMTK's ``dcmcjpls`` (lossless, its defaults) writes JPEG-LS from the source file;
  its streams are compared with ours (pyjpegls, CharLS).
* OpenJPH's ``ojph_compress -reversible true`` writes HTJ2K from a PGM/PPM of the
  pixel values at Bits Stored precision (unsigned images only: Netpbm has no signed
  samples); its codestream is compared with ours (imagecodecs' OpenJPH, at the
  precision of the sample container).

The goal for both (issue 20): our stream within 2 % of the peer's.
"""

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from io import BytesIO
from pathlib import Path

from pydicom import dcmread
from pydicom.encaps import generate_frames

from dicompress.service import convert

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: its tests' corpus and peers
from tests import corpus, peers  # noqa: E402

IMAGES = ["RG1_UNCR.dcm", "RG3_UNCR.dcm", "MR2_UNCR.dcm", "US1_UNCR.dcm", "CT_small.dcm"]
TARGETS = ["rle", "jpeg-ls", "j2k", "htj2k"]
#: Within this fraction of the peer's size is the goal.
GOAL = 0.02


def encoded_frames(data: bytes) -> list[bytes]:
    """Return the encoded frames of an encapsulated DICOM file."""
    ds = dcmread(BytesIO(data))
    return list(generate_frames(ds.PixelData, number_of_frames=int(ds.get("NumberOfFrames", 1))))


def measure(name: str, rounds: int) -> dict[str, tuple[float, int, bytes]]:
    """Return target -> (median seconds of a verified conversion, encoded bytes, the file) for image `name`."""
    data = corpus.path(name).read_bytes()
    times: dict[str, list[float]] = {target: [] for target in TARGETS}
    files: dict[str, bytes] = {}
    for round_number in range(rounds):
        order = TARGETS[round_number % len(TARGETS):] + TARGETS[: round_number % len(TARGETS)]
        for target in order:
            started = time.perf_counter()
            files[target] = convert(data, target).data
            times[target].append(time.perf_counter() - started)
    return {
        target: (statistics.median(times[target]), sum(len(f) for f in encoded_frames(files[target])), files[target])
        for target in TARGETS
    }


def dcmcjpls_size(name: str, folder: Path) -> tuple[int, float]:
    """Return the bytes of DCMTK's JPEG-LS streams of image `name`, and the seconds dcmcjpls took."""
    output = folder / f"{name}.dcmcjpls.dcm"
    started = time.perf_counter()
    subprocess.run(["dcmcjpls", str(corpus.path(name)), str(output)], check=True, capture_output=True)
    seconds = time.perf_counter() - started
    return sum(len(frame) for frame in encoded_frames(output.read_bytes())), seconds


def ojph_size(name: str, folder: Path) -> tuple[int, float] | None:
    """Return the bytes of OpenJPH's reversible HTJ2K codestream of image `name` and its seconds; None if signed."""
    ds = corpus.image(name).read()
    pixels = ds.pixel_array
    if int(ds.get("NumberOfFrames", 1)) > 1 or pixels.min() < 0:
        return None
    suffix = ".ppm" if pixels.ndim == 3 else ".pgm"
    image = peers.write_netpbm(pixels, (1 << int(ds.BitsStored)) - 1, folder / f"{name}{suffix}")
    started = time.perf_counter()
    codestream = peers.ojph_compress(image, folder / f"{name}.j2c", reversible=True)
    return codestream.stat().st_size, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="*", default=IMAGES)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--markdown", action="store_true", help="print the README's table too")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    missing = [tool for tool in ("dcmcjpls", "ojph_compress") if shutil.which(tool) is None]
    rows = []
    peer_lines = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name in args.images:
            results = measure(name, args.rounds)
            rle_seconds, rle_bytes, _ = results["rle"]
            for target in TARGETS:
                seconds, size, _ = results[target]
                rows.append((name, target, size, size / rle_bytes, seconds, seconds / rle_seconds))
            if "dcmcjpls" not in missing:
                theirs, their_seconds = dcmcjpls_size(name, folder)
                ours = results["jpeg-ls"][1]
                peer_lines.append((name, "jpeg-ls", "dcmcjpls", ours, theirs, their_seconds))
            if "ojph_compress" not in missing and (found := ojph_size(name, folder)):
                theirs, their_seconds = found
                ours = results["htj2k"][1]
                peer_lines.append((name, "htj2k", "ojph_compress", ours, theirs, their_seconds))
    print(f"Verified conversions (service.convert, the command line's unit of work), median of {args.rounds} rounds")
    print(f"{'image':14s} {'target':8s} {'bytes':>10s} {'vs rle':>7s} {'ms':>8s} {'vs rle':>7s}")
    for name, target, size, size_ratio, seconds, time_ratio in rows:
        print(f"{name:14s} {target:8s} {size:10d} {size_ratio:7.2f} {seconds * 1000:8.1f} {time_ratio:7.2f}")
    print()
    print(f"Sizes against peers (goal: ours within {GOAL:.0%} of theirs); their time includes starting the tool")
    print(f"{'image':14s} {'target':8s} {'peer':14s} {'ours':>10s} {'theirs':>10s} {'ours/theirs':>11s} "
          f"{'goal':>5s} {'peer ms':>8s}")
    for name, target, peer, ours, theirs, their_seconds in peer_lines:
        ratio = ours / theirs
        met = "yes" if ratio <= 1 + GOAL else "no"
        print(f"{name:14s} {target:8s} {peer:14s} {ours:10d} {theirs:10d} {ratio:11.4f} {met:>5s} "
              f"{their_seconds * 1000:8.1f}")
    if missing:
        print(f"not measured: {', '.join(missing)} not on PATH")
    if args.markdown:
        print()
        print("| image | target | Pixel Data bytes | size vs RLE | ms (verified) | time vs RLE |")
        print("|---|---|---:|---:|---:|---:|")
        for name, target, size, size_ratio, seconds, time_ratio in rows:
            print(f"| {name} | {target} | {size:,} | {size_ratio:.2f} | {seconds * 1000:.0f} | {time_ratio:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
