#!/usr/bin/env python
"""The command line's peak memory for large files, and the streaming path's speed against the in-memory one.

Usage::

    .venv/bin/python scripts/bench_memory_cli.py [--sizes 0.1 1] [--rounds 5] [--large-rounds 1] [--folder DIR]
                                                 [--skip-rss]

For each size (in GB) a multi-frame file of RG1_UNCR frames (7.2 MB each, every frame told
apart: ``tests/large_files.py``) is written to a temporary folder, and the ``dicompress``
command converts it to RLE Lossless and to Explicit VR Little Endian in a child process; the
peak resident memory of that process (``getrusage(RUSAGE_CHILDREN)``) is printed with its
ratio to the file's size, its excess over the same command converting CT_small, and its seconds.
scripts/bench_memory.py reuses :func:`peak_rss`, :func:`throughput` and :func:`interleaved`.

Then the same run times :func:`dicompress.service.convert_file` (a file on disk to a file on
disk) against :func:`dicompress.service.convert` (the file's bytes to bytes, as before issue
17) on RG1_UNCR and on the 1 GB file (if among the sizes), to RLE Lossless with verification,
in interleaved rounds, and prints the medians and the ratio streaming / in memory (issue 17's
goal: at most 1.10). Peak RSS of the in-memory path is not measured here: it holds the file
and the result (about 2x the file).
"""

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import corpus  # noqa: E402
from tests.large_files import Image, cli_peak_rss, frames_for, radiograph, write_multiframe  # noqa: E402

GB = 10**9


def peak_rss(folder: Path, files: dict[float, Path], image: Image) -> None:
    """Print the command's peak RSS and seconds per file (made of `image`, by size in GB) and target."""
    _, baseline = cli_peak_rss(str(corpus.path("CT_small.dcm")), "-o", str(folder / "small"), "--jobs", "1")
    print(f"CLI peak RSS converting CT_small (the fixed overhead): {baseline / 1e6:.1f} MB")
    columns = (("file", 9), ("frames", 6), ("target", 8), ("peak RSS", 10), ("/ file", 7), ("over CT_small", 14),
               ("in frames", 9), ("seconds", 7), ("MB/s", 6))
    print(" ".join(f"{name:>{width}}" for name, width in columns))
    for path in files.values():
        length = path.stat().st_size
        for target in ("rle", "explicit"):
            started = time.perf_counter()
            status, peak = cli_peak_rss(str(path), "-o", str(folder / target), "--syntax", target, "--jobs", "1",
                                        "--overwrite")
            seconds = time.perf_counter() - started
            excess = peak - baseline
            print(f"{length / 1e6:7.0f}MB {length // image.frame_bytes:6d} {target:>8} {peak / 1e6:8.1f}MB "
                  f"{peak / length:7.3f} {excess / 1e6:12.1f}MB {excess / image.frame_bytes:9.1f} "
                  f"{seconds:7.1f} {length / 1e6 / seconds:6.0f}"
                  + ("" if status == 0 else f"  (exit status {status})"))


def interleaved(rounds: int, contenders: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Median seconds of each contender (a call returning its seconds), run in rounds whose order rotates."""
    times: dict[str, list[float]] = {name: [] for name in contenders}
    names = list(contenders)
    for index in range(rounds):
        for name in names[index % len(names):] + names[: index % len(names)]:
            times[name].append(contenders[name]())
    return {name: statistics.median(values) for name, values in times.items()}


def throughput(label: str, path: Path, rounds: int, folder: Path) -> dict[str, float]:
    """Print and return convert_file against convert on the file `path`, to RLE Lossless, in interleaved rounds."""
    from dicompress.service import convert, convert_file

    def in_memory() -> float:
        started = time.perf_counter()
        convert(path.read_bytes())
        return time.perf_counter() - started

    def streaming() -> float:
        started = time.perf_counter()
        with open(path, "rb") as source, open(folder / "streamed.dcm", "w+b") as sink:
            convert_file(source, sink)
        return time.perf_counter() - started

    medians = interleaved(rounds, {"in memory": in_memory, "streaming": streaming})
    size = path.stat().st_size
    for name, seconds in medians.items():
        print(f"  {label:>12} {name:>9}: {seconds:7.2f} s  {size / seconds / 1e6:6.1f} MB/s")
    print(f"  {label:>12} streaming / in memory: {medians['streaming'] / medians['in memory']:.3f}")
    return medians


def main() -> None:
    """Run the measurements."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.1, 1.0], help="file sizes in GB")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the throughput comparison on RG1_UNCR")
    parser.add_argument("--large-rounds", type=int, default=1, help="rounds of the comparison on the 1 GB file")
    parser.add_argument("--folder", type=Path, help="where the files go (default: a temporary folder)")
    parser.add_argument("--skip-rss", action="store_true", help="only the throughput comparison")
    args = parser.parse_args()
    image = radiograph()
    with tempfile.TemporaryDirectory(dir=args.folder) as temporary:
        folder = Path(temporary)
        files = {}
        if not args.skip_rss:
            files = {size: write_multiframe(folder / f"{size:g}GB.dcm", frames_for(size * GB, image), image)
                     for size in args.sizes}
            peak_rss(folder, files, image)
        print("\nThroughput, RLE Lossless with verification, median of interleaved rounds:")
        from dicompress.service import convert

        convert(corpus.path("CT_small.dcm").read_bytes())  # imports and plugin registration
        throughput("RG1_UNCR", corpus.path("RG1_UNCR.dcm"), args.rounds, folder)
        if 1.0 not in files:
            files[1.0] = write_multiframe(folder / "1GB.dcm", frames_for(GB, image), image)
        throughput("1 GB", files[1.0], args.large_rounds, folder)


if __name__ == "__main__":
    main()
