"""The file fuzzer's campaign: its cases written to a folder, converted on CPython and inside Pyodide.

:func:`write_cases` writes the cases of :mod:`tests.fuzz_cases` (one seed by default; with
``DICOMPRESS_FUZZ_CASES=N``, successive seeds until at least N distinct cases) and
``cases.json``. :func:`run_cpython` converts them in child processes (:mod:`tests.fuzz_worker`:
capped address space and CPU time), :func:`run_wasm32` inside Pyodide in Node
(``tests/pyodide/run_checks.mjs --fuzz``, the page's wasm32 interpreter and numpy), both two
processes at a time, a new process after each case that kills one. Either gives one
:class:`Outcome` per case; a case that outlives its time is a ``hang``, one that ends its
process a ``crash``.

The session fixtures of ``tests/conftest.py`` run each surface once for ``test_fuzz_files.py``
and ``test_wasm32_fuzz.py``.
"""

import hashlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from tests import fuzz_cases

ROOT = Path(__file__).resolve().parent.parent
RUNNER = ROOT / "tests" / "pyodide" / "run_checks.mjs"
SEED = 20260510
#: How many cases to run at least: successive seeds from SEED (0: SEED's cases only).
CASES = int(os.environ.get("DICOMPRESS_FUZZ_CASES", "0"))
#: CPU seconds a case may take on CPython (refusing a 6 GB deflate bomb takes about 3).
CPU_SECONDS = 60
#: Seconds a case may take inside Pyodide (the 6 GB deflate bomb takes about 4).
WASM32_SECONDS = 120
#: The CPython workers' address space: enough for every source file, far below the bombs' claims.
MEMORY_BYTES = 3 * 1024**3
#: Cases per CPython process; per Node process (a fresh Pyodide every so often).
BATCH = 40
WASM32_BATCH = 400
PROCESSES = 2


@dataclass(frozen=True)
class Outcome:
    """What converting one case did."""

    case: fuzz_cases.Case
    file: Path
    outcome: str  # done, typed, exception, hang or crash
    code: str
    message: str
    suffix: str = ".out"
    seconds: float = 0.0

    @property
    def result(self) -> Path:
        """Where the worker wrote the converted file."""
        return self.file.with_name(self.file.name + self.suffix)


@dataclass(frozen=True)
class Campaign:
    """The cases, written to `folder` with their inputs' digests."""

    folder: Path
    cases: list[fuzz_cases.Case]
    files: list[Path]
    digests: dict[str, str]
    seeds: int


def digest(path: Path) -> str:
    """Return the sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def all_cases() -> tuple[list[fuzz_cases.Case], int]:
    """Return the distinct cases of SEED and, up to CASES, the seeds after it; and how many seeds."""
    found: dict[tuple[str, str], fuzz_cases.Case] = {}
    seeds = 0
    while seeds == 0 or len(found) < CASES:
        for case in fuzz_cases.cases(SEED + seeds):
            found.setdefault((hashlib.sha256(case.data).hexdigest(), case.target), case)
        seeds += 1
    return list(found.values()), seeds


def write_cases(folder: Path) -> Campaign:
    """Write every case of :func:`all_cases` into `folder` (see :func:`write`)."""
    return write(folder, *all_cases())


def write(folder: Path, cases: list[fuzz_cases.Case], seeds: int = 0) -> Campaign:
    """Write `cases` (``NNNNN.dcm``) and ``cases.json`` into `folder`, with an empty ``cwd``."""
    (folder / "cwd").mkdir()
    files = []
    for index, case in enumerate(cases):
        path = folder / f"{index:05d}.dcm"
        path.write_bytes(case.data)
        files.append(path)
    entries = [{"file": f.name, "target": c.target} for f, c in zip(files, cases, strict=True)]
    (folder / "cases.json").write_text(json.dumps(entries))
    return Campaign(folder, cases, files, {f.name: digest(f) for f in files}, seeds)


def run_cpython(campaign: Campaign) -> list[Outcome]:
    """Convert every case in :mod:`tests.fuzz_worker` processes; return the outcomes in case order."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "py"), str(ROOT)])}

    def command(indices: list[int]) -> list[str]:  # a contiguous run of cases
        return [sys.executable, "-m", "tests.fuzz_worker", str(campaign.folder), str(CPU_SECONDS),
                str(MEMORY_BYTES), str(indices[0]), str(indices[-1] + 1)]

    indices = list(range(len(campaign.cases)))
    return _outcomes(campaign, indices, _run(indices, command, env, BATCH, None), ".out")


def wasm32_sample(campaign: Campaign) -> list[int]:
    """Return the cases the wasm32 run takes: all of a larger run; else every third case, and
    every case of the kinds made for wasm32's 32-bit sizes (``rle-items``, ``extended-offsets``)."""
    return [i for i, case in enumerate(campaign.cases)
            if CASES or i % 3 == 0 or case.kind in ("rle-items", "extended-offsets")]


def run_wasm32(
    campaign: Campaign, indices: list[int], node: str, numpy_wheel: Path, pydicom_wheel: Path
) -> list[Outcome]:
    """Convert the cases `indices` inside Pyodide in Node; return their outcomes in that order."""

    def command(remaining: list[int]) -> list[str]:
        return [node, str(RUNNER), "--numpy", str(numpy_wheel), "--pydicom", str(pydicom_wheel),
                "--py", str(ROOT / "py"), "--cases", str(campaign.folder), "--fuzz", ",".join(map(str, remaining))]

    lines = _run(indices, command, dict(os.environ), WASM32_BATCH, WASM32_SECONDS)
    return _outcomes(campaign, indices, lines, ".wasm.out")


def _outcomes(campaign: Campaign, indices: list[int], lines: list[dict], suffix: str) -> list[Outcome]:
    by_index = {line["index"]: line for line in lines}
    return [
        Outcome(campaign.cases[i], campaign.files[i], by_index[i]["outcome"], by_index[i]["code"],
                by_index[i]["message"], suffix, by_index[i].get("seconds", 0.0))
        for i in indices
    ]


def _run(
    indices: list[int], command: Callable[[list[int]], list[str]], env: dict[str, str], batch: int,
    seconds: float | None,
) -> list[dict]:
    batches = [indices[at : at + batch] for at in range(0, len(indices), batch)]
    with ThreadPoolExecutor(PROCESSES) as pool:
        found = pool.map(lambda b: _run_batch(command, env, b, seconds), batches)
        return [line for lines in found for line in lines]


def _run_batch(
    command: Callable[[list[int]], list[str]], env: dict[str, str], indices: list[int], seconds: float | None
) -> list[dict]:
    """Run the cases `indices`, a new process after each case that ends one or outlives `seconds`."""
    found: list[dict] = []
    while indices:
        finished, returncode, stderr, hung = _watch(command(indices), env, seconds)
        found += finished
        indices = indices[len(finished) :]
        if not indices:
            break
        if hung:
            found.append({"index": indices[0], "outcome": "hang", "code": "hang",
                          "message": f"no outcome after {seconds} s"})
        elif returncode != 0:
            reason = signal.Signals(-returncode).name if returncode < 0 else f"exit {returncode}"
            found.append({"index": indices[0], "outcome": "crash", "code": reason,
                          "message": stderr.strip()[-500:]})
        else:
            raise AssertionError(f"the worker stopped before case {indices[0]} without a reason: {stderr[-500:]}")
        indices = indices[1:]
    return found


def _watch(args: list[str], env: dict[str, str], seconds: float | None) -> tuple[list[dict], int, str, bool]:
    """Run `args`; return its finished outcome lines, status, stderr, and whether a case outlived `seconds`."""
    process = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: queue.Queue[str | None] = queue.Queue()
    errors: list[str] = []
    drain = threading.Thread(target=lambda: errors.append(process.stderr.read()), daemon=True)  # type: ignore[union-attr]
    drain.start()

    def read() -> None:
        for line in process.stdout:  # type: ignore[union-attr]
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    finished, hung = [], False
    while True:
        try:
            line = lines.get(timeout=seconds)
        except queue.Empty:
            hung = True
            process.kill()
            break
        if line is None:
            break
        if line.startswith("{"):
            parsed = json.loads(line)
            if parsed["outcome"] != "started":
                finished.append(parsed)
    returncode = process.wait()
    drain.join()
    return finished, returncode, "".join(errors), hung


def counts(outcomes: list[Outcome]) -> str:
    """Return the outcome counts, overall and by kind of mutation, as lines for ``pytest -s``."""
    total = Counter(o.code if o.outcome == "typed" else o.outcome for o in outcomes)
    lines = [", ".join(f"{k} {v}" for k, v in total.most_common())]
    for kind in dict.fromkeys(o.case.kind for o in outcomes):
        of_kind = Counter(o.code if o.outcome == "typed" else o.outcome for o in outcomes if o.case.kind == kind)
        lines.append(f"  {kind}: " + ", ".join(f"{k} {v}" for k, v in of_kind.most_common()))
    return "\n".join(lines)
