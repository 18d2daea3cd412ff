#!/usr/bin/env python
"""Benchmark the whole ``dicompress`` command against DCMTK's ``dcmcrle``, start-up included.

Usage::

    .venv/bin/python scripts/bench_cli.py [--rounds 3] [--copies 21] [--baseline OTHER/py]

Makes a folder of ``--copies`` copies of RG1_UNCR.dcm (pydicom-data's 7.2 MB radiograph)
and times, as whole processes:

- ``dicompress FOLDER -o OUT`` with verification and the default ``--jobs`` (one per
  CPU), into a fresh output folder each time, against a shell loop of ``dcmcrle`` over
  the same files (which does not verify);
- a one-file run (``dicompress RG1_UNCR.dcm -o OUT``) against one ``dcmcrle``;
- a one-file run of pydicom's 39 kB CT_small.dcm, which is mostly start-up (imports);
- a study of ``--small-files`` small files (copies of CT_small, MR_small and
  SC_rgb_small_odd in turn) with ``--jobs 2``, against a ``dcmcrle`` loop over them: the
  per-file overhead (issue 21);
- ``dicompress --version`` against ``dcmcrle --version`` (the interpreter's start alone).

Rounds are interleaved (each command once per round) and the median of the rounds is
printed with the ratio dicompress / dcmcrle (below 1: dicompress is faster). With
``--baseline`` the dicompress commands are also timed with another tree's ``py/``
folder on ``PYTHONPATH`` (e.g. an earlier checkout), for before/after figures.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pydicom.data import get_testdata_file

PY = Path(__file__).resolve().parents[1] / "py"
#: The small files of the study, copied in turn.
SMALL_FILES = ("CT_small.dcm", "MR_small.dcm", "SC_rgb_small_odd.dcm")


def main() -> None:
    """Run the benchmark and print its table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--copies", type=int, default=21)
    parser.add_argument("--small-files", type=int, default=500)
    parser.add_argument("--baseline", type=Path, help="another tree's py/ folder to time as well")
    args = parser.parse_args()
    if shutil.which("dcmcrle") is None:
        sys.exit("DCMTK's dcmcrle is not on PATH (Debian: apt-get install dcmtk)")
    trees = {"dicompress": PY, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        source = Path(get_testdata_file("RG1_UNCR.dcm"))
        folder = work / "in"
        folder.mkdir()
        for number in range(args.copies):
            shutil.copy(source, folder / f"RG1_{number:02d}.dcm")
        size = sum(p.stat().st_size for p in folder.iterdir())
        small = work / "small"
        small.mkdir()
        for number in range(args.small_files):
            name = SMALL_FILES[number % len(SMALL_FILES)]
            shutil.copy(get_testdata_file(name), small / f"{number:04d}-{name}")
        commands = _commands(trees, folder, source, work, small)
        times: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, (command, env) in commands.items():
                times[name].append(_timed(command, env, work / "out"))
    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"{args.copies} copies of RG1_UNCR ({size / 1e6:.0f} MB), {args.small_files} small files "
          f"({', '.join(SMALL_FILES)}), {os.cpu_count()} CPUs, median of {args.rounds} interleaved rounds")
    print(f"{'what':<42} {'seconds':>8} {'vs dcmcrle':>11}")
    for task in ("folder", "one file", "small file", "small files --jobs 2", "--version"):
        peer = median[f"dcmcrle {task}"]
        for tree in trees:
            name = f"{tree} {task}"
            print(f"{name:<42} {median[name]:8.3f} {median[name] / peer:10.2f}x")
        print(f"{'dcmcrle ' + task:<42} {peer:8.3f}")


def _loop(folder: Path, out: Path) -> str:
    """Return a shell loop of ``dcmcrle`` over the files of `folder` into `out`."""
    return f'mkdir -p "{out}" && for f in "{folder}"/*; do dcmcrle "$f" "{out}/$(basename "$f")" || exit 1; done'


def _commands(
    trees: dict[str, Path], folder: Path, source: Path, work: Path, study: Path
) -> dict[str, tuple[list[str], dict]]:
    """Return every command to time, with its environment, by name."""
    out = work / "out"
    small = get_testdata_file("CT_small.dcm")
    plain = dict(os.environ)
    commands: dict[str, tuple[list[str], dict]] = {}
    for tree, py in trees.items():
        env = {**os.environ, "PYTHONPATH": str(py)}
        cli = [sys.executable, "-m", "dicompress"]
        commands[f"{tree} folder"] = ([*cli, str(folder), "-o", str(out)], env)
        commands[f"{tree} one file"] = ([*cli, str(source), "-o", str(out)], env)
        commands[f"{tree} small file"] = ([*cli, small, "-o", str(out)], env)
        commands[f"{tree} small files --jobs 2"] = ([*cli, str(study), "-o", str(out), "--jobs", "2"], env)
        commands[f"{tree} --version"] = ([*cli, "--version"], env)
    commands["dcmcrle folder"] = (["bash", "-c", _loop(folder, out)], plain)
    commands["dcmcrle small files --jobs 2"] = (["bash", "-c", _loop(study, out)], plain)
    commands["dcmcrle one file"] = (["bash", "-c", f'mkdir -p "{out}" && dcmcrle "{source}" "{out}/x.dcm"'], plain)
    commands["dcmcrle small file"] = (["bash", "-c", f'mkdir -p "{out}" && dcmcrle "{small}" "{out}/x.dcm"'], plain)
    commands["dcmcrle --version"] = (["dcmcrle", "--version"], plain)
    return commands


def _timed(command: list[str], env: dict, out: Path) -> float:
    """Return the seconds `command` takes, starting from an empty output folder."""
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
