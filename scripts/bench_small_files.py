#!/usr/bin/env python
"""Benchmark the page's Python path on small files, per file, against pydicom's own conversion.

Usage::

    .venv/bin/python scripts/bench_small_files.py [--runs 5] [--rounds 3] [--repeat 10]
        [--baseline OTHER/py] [--pyodide]

For each of CT_small, MR_small and SC_rgb_small_odd (issue 21's study of small files), the
time per file of:

- ``dicompress``: what the page's worker calls for a file, ``browser.needs_codecs(data, "rle")``
  then ``browser.convert(data, "rle", None, True, preview=...)``: read, checks, encode, each
  frame verified, the written file checked, the preview (details and thumbnail);
- ``pydicom read+write``: ``dcmread`` and ``dcmwrite`` of the same file into memory, nothing
  converted: what pydicom's own reading and writing cost;
- ``pydicom compress``: ``dcmread``, ``Dataset.compress(RLELossless, encoding_plugin="pydicom")``
  and ``dcmwrite``: pydicom's own conversion (its pure-Python encoder, nothing verified).

Each measurement runs in a child process (CPython, or Pyodide 0.27.7 in Node through
``tests/pyodide/run_checks.mjs --script`` with ``--pyodide``) with a tree's ``py/`` first on the
path; in it, rounds are interleaved (every task on every file once per round, in a rotating
order, each ``--repeat`` times in a row), timed in CPU time of the process on CPython
(``time.process_time``: on a machine shared with other jobs, wall time measures them too), in
wall time in Pyodide (whose ``process_time`` does not advance). ``--baseline`` measures another tree's ``py/`` the
same way (an earlier commit: ``git worktree add`` or ``git archive``), for before/after
figures, its children alternating with this tree's (``--runs`` each). Printed: the median over
runs and rounds in ms per file, with the ratio dicompress / each peer measured in the same
processes; compare trees by these ratios, which the machine's load changes less than the
milliseconds.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from time import perf_counter, process_time

ROOT = Path(__file__).resolve().parents[1]
#: Issue 21's study: its small files.
STUDY_FILES = ("CT_small.dcm", "MR_small.dcm", "SC_rgb_small_odd.dcm")
TASKS = ("dicompress", "pydicom read+write", "pydicom compress")
#: Seconds a child may take.
TIMEOUT_S = 900


def run(cases: str) -> str:
    """Measure the files of the folder `cases` as its ``settings.json`` says; return the medians as JSON.

    The entry point of a child, on CPython or in Pyodide.
    """
    folder = Path(cases)
    settings = json.loads((folder / "settings.json").read_text())
    files = {name: (folder / name).read_bytes() for name in settings["files"]}
    return json.dumps(measure(files, settings["rounds"], settings["repeat"]))


def measure(files: dict[str, bytes], rounds: int, repeat: int) -> dict[str, dict[str, float]]:
    """Return the median ms per file of every task on every file: ``{task: {file: ms}}``."""
    tasks = _tasks()
    clock = perf_counter if sys.platform == "emscripten" else process_time
    for task in tasks.values():  # warm: imports, plugins, caches
        for data in files.values():
            task(data)
    times: dict[str, dict[str, list[float]]] = {task: {name: [] for name in files} for task in tasks}
    names = list(tasks)
    for number in range(rounds):
        for task in names[number % len(names):] + names[: number % len(names)]:
            for name, data in files.items():
                started = clock()
                for _ in range(repeat):
                    tasks[task](data)
                times[task][name].append((clock() - started) / repeat * 1e3)
    return {task: {name: statistics.median(values) for name, values in by_file.items()}
            for task, by_file in times.items()}


def _median_of(runs: list[dict[str, dict[str, float]]]) -> dict[str, dict[str, float]]:
    """Return the median of several children's medians, task by task and file by file."""
    return {task: {name: statistics.median(run[task][name] for run in runs) for name in runs[0][task]}
            for task in runs[0]}


def _tasks() -> dict[str, Callable[[bytes], object]]:
    """Return the tasks timed, by name."""
    from io import BytesIO

    from pydicom import dcmread, dcmwrite
    from pydicom.uid import RLELossless

    from dicompress import browser

    def ours(data: bytes) -> object:
        browser.needs_codecs(data, "rle")
        previews: list[dict] = []
        result = browser.convert(data, "rle", None, True, preview=previews.append)
        assert result["ok"] and result["report"]["verified"] and previews[0]["ok"], (result, previews)
        return result

    def read_write(data: bytes) -> object:
        output = BytesIO()
        dcmwrite(output, dcmread(BytesIO(data)), enforce_file_format=True)
        return output

    def compress(data: bytes) -> object:
        ds = dcmread(BytesIO(data))
        ds.compress(RLELossless, encoding_plugin="pydicom")
        output = BytesIO()
        dcmwrite(output, ds, enforce_file_format=True)
        return output

    return dict(zip(TASKS, (ours, read_write, compress), strict=True))


def _cases(folder: Path, rounds: int, repeat: int) -> Path:
    """Write the study's files and the settings into `folder`; return it."""
    from pydicom.data import get_testdata_file

    folder.mkdir(parents=True, exist_ok=True)
    for name in STUDY_FILES:
        (folder / name).write_bytes(Path(get_testdata_file(name)).read_bytes())
    (folder / "settings.json").write_text(json.dumps({"files": STUDY_FILES, "rounds": rounds, "repeat": repeat}))
    return folder


def _in_cpython(tree: Path, cases: Path) -> dict[str, dict[str, float]]:
    """Run :func:`run` in a CPython child with `tree` first on the path."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    code = f"import sys; sys.path.insert(1, {str(ROOT / 'scripts')!r}); import bench_small_files as b; " \
           f"print(b.run({str(cases)!r}))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          timeout=TIMEOUT_S, check=False)
    if done.returncode:
        sys.exit(f"the CPython child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.splitlines()[-1])


def _in_pyodide(tree: Path, cases: Path, wheels: tuple[Path, Path]) -> dict[str, dict[str, float]]:
    """Run :func:`run` inside Pyodide in Node (``tests/pyodide/run_checks.mjs --script``) on `tree`."""
    numpy_wheel, pydicom_wheel = wheels
    args = ["node", str(ROOT / "tests" / "pyodide" / "run_checks.mjs"), "--numpy", str(numpy_wheel),
            "--pydicom", str(pydicom_wheel), "--py", str(tree), "--cases", str(cases),
            "--script", str(Path(__file__).resolve())]
    done = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    if done.returncode:
        sys.exit(f"the Pyodide child failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def _table(title: str, medians: dict[str, dict[str, float]]) -> None:
    """Print the medians of one child and the ratios dicompress / each peer."""
    print(f"\n{title}")
    print(f"  {'file':<22}" + "".join(f"{task + ' ms':>24}" for task in TASKS)
          + "".join(f"{'vs ' + peer:>26}" for peer in TASKS[1:]))
    rows = [*STUDY_FILES, "per file (mean)"]
    for row in rows:
        cells = {task: (statistics.mean(medians[task].values()) if row not in medians[task] else medians[task][row])
                 for task in TASKS}
        print(f"  {row:<22}" + "".join(f"{cells[task]:>24.3f}" for task in TASKS)
              + "".join(f"{cells[TASKS[0]] / cells[peer]:>25.2f}x" for peer in TASKS[1:]))


def main() -> None:
    """Measure every tree asked for, on CPython and in Pyodide if asked; print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="children per tree and runtime")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds in each child")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--baseline", type=Path, help="another tree's py/ folder, measured the same way")
    parser.add_argument("--pyodide", action="store_true", help="also measure inside Pyodide in Node")
    parser.add_argument("--pyodide-runs", type=int, default=2)
    parser.add_argument("--pyodide-repeat", type=int, default=3)
    args = parser.parse_args()
    trees = {"this tree": ROOT / "py", **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        cases = _cases(work / "cpython", args.rounds, args.repeat)
        print(f"{', '.join(STUDY_FILES)}: median of {args.runs} runs x {args.rounds} interleaved rounds of "
              f"{args.repeat} conversions each, {os.cpu_count()} CPUs")
        medians = _alternating(trees, args.runs, lambda tree: _in_cpython(tree, cases))
        for label, tree in trees.items():
            _table(f"CPython {sys.version.split()[0]}, {label} ({tree})", medians[label])
        if args.pyodide:
            sys.path.insert(0, str(ROOT))
            from tests.test_wasm32 import wheels

            found = wheels(work / "dist")
            cases = _cases(work / "pyodide", args.rounds, args.pyodide_repeat)
            medians = _alternating(trees, args.pyodide_runs, lambda tree: _in_pyodide(tree, cases, found))
            for label, tree in trees.items():
                _table(f"Pyodide 0.27.7 in Node, {label} ({tree})", medians[label])


def _alternating(
    trees: dict[str, Path], runs: int, child: Callable[[Path], dict[str, dict[str, float]]]
) -> dict[str, dict[str, dict[str, float]]]:
    """Run `child` on every tree in turn, `runs` times; return each tree's median."""
    results: dict[str, list[dict[str, dict[str, float]]]] = {label: [] for label in trees}
    for _ in range(runs):
        for label, tree in trees.items():
            results[label].append(child(tree))
    return {label: _median_of(found) for label, found in results.items()}


if __name__ == "__main__":
    main()
