#!/usr/bin/env python
"""The command line's peak memory for large files, and the streaming path's speed against the in-memory one.

Usage::

    .venv/bin/python scripts/bench_memory_cli.py [--sizes 0.1 1] [--rounds 5] [--large-rounds 1] [--folder DIR]
                                                 [--skip-rss]

For each size (in GB) a multi-frame file of RG1_UNCR frames (7.2 MB each, every frame told
apart: ``tests/large_files.py``) is written to a temporary folder, and the ``dicompress``
command converts it to RLE Lossless and to Explicit VR Little Endian in a child process; the
peak resident memory of that process (``getrusage(RUSAGE_CHILDREN)``) is printed with its
ratio to the file's size and its excess over the same command converting CT_small.

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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import corpus  # noqa: E402
from tests.large_files import cli_peak_rss, frame_length, write_multiframe  # noqa: E402

GB = 10**9


def frames_for(size_gb: float) -> int:
    """Return the number of frames that make a file of about `size_gb` GB."""
    return max(1, round(size_gb * GB / frame_length()))


def peak_rss(folder: Path, sizes: list[float]) -> dict[float, Path]:
    """Print the command's peak RSS per size and target; return the files written, by size."""
    _, baseline = cli_peak_rss(str(corpus.path("CT_small.dcm")), "-o", str(folder / "small"), "--jobs", "1")
    print(f"CLI peak RSS converting CT_small (the fixed overhead): {baseline / 1e6:.1f} MB")
    columns = ("file", 9), ("frames", 6), ("target", 8), ("peak RSS", 10), ("/ file", 7), ("over CT_small", 14)
    print(" ".join(f"{name:>{width}}" for name, width in columns), "in frames")
    files = {}
    for size in sizes:
        path = folder / f"{size:g}GB.dcm"
        length = write_multiframe(path, frames_for(size))
        files[size] = path
        for target in ("rle", "explicit"):
            status, peak = cli_peak_rss(str(path), "-o", str(folder / target), "--syntax", target, "--jobs", "1",
                                        "--overwrite")
            excess = peak - baseline
            print(f"{length / 1e6:7.0f}MB {frames_for(size):6d} {target:>8} {peak / 1e6:8.1f}MB "
                  f"{peak / length:7.3f} {excess / 1e6:12.1f}MB {excess / frame_length():9.1f}"
                  + ("" if status == 0 else f"  (exit status {status})"))
    return files


def throughput(label: str, path: Path, rounds: int, folder: Path) -> None:
    """Print convert_file against convert on the file `path`, to RLE Lossless, in interleaved rounds."""
    from dicompress.service import convert, convert_file

    def in_memory() -> None:
        convert(path.read_bytes())

    def streaming() -> None:
        with open(path, "rb") as source, open(folder / "streamed.dcm", "w+b") as sink:
            convert_file(source, sink)

    times: dict[str, list[float]] = {"convert (in memory)": [], "convert_file (streaming)": []}
    for number in range(rounds):
        runs = [("convert (in memory)", in_memory), ("convert_file (streaming)", streaming)]
        for name, run in runs if number % 2 == 0 else runs[::-1]:
            started = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - started)
    size = path.stat().st_size
    medians = {name: statistics.median(values) for name, values in times.items()}
    for name, seconds in medians.items():
        print(f"  {label:>12} {name:>25}: {seconds:7.2f} s  {size / seconds / 1e6:6.1f} MB/s")
    ratio = medians["convert_file (streaming)"] / medians["convert (in memory)"]
    print(f"  {label:>12} streaming / in memory: {ratio:.3f}")


def main() -> None:
    """Run the measurements."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=float, nargs="+", default=[0.1, 1.0], help="file sizes in GB")
    parser.add_argument("--rounds", type=int, default=5, help="rounds of the throughput comparison on RG1_UNCR")
    parser.add_argument("--large-rounds", type=int, default=1, help="rounds of the comparison on the 1 GB file")
    parser.add_argument("--folder", type=Path, help="where the files go (default: a temporary folder)")
    parser.add_argument("--skip-rss", action="store_true", help="only the throughput comparison")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.folder) as temporary:
        folder = Path(temporary)
        files = {} if args.skip_rss else peak_rss(folder, args.sizes)
        print("\nThroughput, RLE Lossless with verification, median of interleaved rounds:")
        from dicompress.service import convert

        convert(corpus.path("CT_small.dcm").read_bytes())  # imports and plugin registration
        throughput("RG1_UNCR", corpus.path("RG1_UNCR.dcm"), args.rounds, folder)
        if 1.0 not in files:
            files[1.0] = folder / "1GB.dcm"
            write_multiframe(files[1.0], frames_for(1.0))
        throughput("1 GB", files[1.0], args.large_rounds, folder)


if __name__ == "__main__":
    main()
