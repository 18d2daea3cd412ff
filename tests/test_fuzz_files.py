"""The file fuzzer: about 570 damaged and hostile files made from real ones, through the service.

Every case of :mod:`tests.fuzz_cases` (seeded: the same cases every run) is converted by
:func:`dicompress.service.convert` in a child process (:mod:`tests.fuzz_worker`, batches of
cases per process, two processes at a time) whose address space is capped and whose every
case has a CPU-time cap. With pylibjpeg-rle installed (the test extra has it), a frame our
decoder refuses would reach it if the service ever fell through to other plugins. Each case
must end in

* a typed :class:`~dicompress.errors.ConversionError` with a one-line message, never the
  ``internal`` one (an exception nobody mapped), or
* a result whose pixels pydicom decodes exactly as it decodes the input's (and DCMTK's
  ``dcmdrle`` too, for a sample of the RLE results);

never a hang, a crash, a MemoryError or another exception, a file in the working folder, or
a modified input. The outcome counts are printed (``pytest -s``).
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from tests import fuzz_cases, peers
from tests.dicom_files import read

ROOT = Path(__file__).resolve().parent.parent
SEED = 20260510
#: CPU seconds a case may take (refusing a 6 GB deflate bomb takes about 3).
CPU_SECONDS = 60
#: The workers' address space: enough for every source file, far below the bombs' claims.
MEMORY_BYTES = 3 * 1024**3
BATCH = 40
PROCESSES = 2
#: How many RLE results DCMTK decodes too.
DCMTK_SAMPLE = 20


@dataclass(frozen=True)
class Outcome:
    """What converting one case did."""

    case: fuzz_cases.Case
    file: Path
    outcome: str  # done, typed, exception or crash
    code: str
    message: str

    @property
    def result(self) -> Path:
        """Where the worker wrote the converted file."""
        return self.file.with_name(self.file.name + ".out")


@pytest.fixture(scope="module")
def campaign(tmp_path_factory) -> tuple[list[Outcome], Path, dict[str, str]]:
    """Run every case; return the outcomes, the working folder and the inputs' digests."""
    folder = tmp_path_factory.mktemp("fuzz")
    (folder / "cwd").mkdir()
    cases = fuzz_cases.cases(SEED)
    files = []
    for index, case in enumerate(cases):
        path = folder / f"{index:03d}.dcm"
        path.write_bytes(case.data)
        files.append(path)
    (folder / "cases.json").write_text(json.dumps([{"file": f.name, "target": c.target} for f, c in zip(files, cases)]))
    digests = {f.name: _digest(f) for f in files}
    batches = [(first, min(first + BATCH, len(cases))) for first in range(0, len(cases), BATCH)]
    with ThreadPoolExecutor(PROCESSES) as pool:
        lines = [line for found in pool.map(lambda b: _run_batch(folder, *b), batches) for line in found]
    by_index = {line["index"]: line for line in lines}
    outcomes = [
        Outcome(case, files[i], by_index[i]["outcome"], by_index[i]["code"], by_index[i]["message"])
        for i, case in enumerate(cases)
    ]
    _print_counts(outcomes)
    return outcomes, folder, digests


def _run_batch(folder: Path, first: int, last: int) -> list[dict]:
    """Run cases first..last-1 in workers, a new one after each case that kills its worker."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "py"), str(ROOT)])}
    found: list[dict] = []
    while first < last:
        args = [sys.executable, "-m", "tests.fuzz_worker", str(folder), str(CPU_SECONDS),
                str(MEMORY_BYTES), str(first), str(last)]
        done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        finished = [line for line in lines if line["outcome"] != "started"]
        found += finished
        first = finished[-1]["index"] + 1 if finished else first
        if done.returncode != 0 and first < last:
            reason = signal.Signals(-done.returncode).name if done.returncode < 0 else f"exit {done.returncode}"
            found.append({"index": first, "outcome": "crash", "code": reason,
                          "message": done.stderr.strip()[-500:]})
            first += 1
    return found


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _print_counts(outcomes: list[Outcome]) -> None:
    """Print the outcome counts, overall and by kind of mutation."""
    counts = Counter(o.code if o.outcome == "typed" else o.outcome for o in outcomes)
    peer = "with" if peers.pylibjpeg_rle_available() else "WITHOUT"
    print(f"\nfuzz: {len(outcomes)} cases (seed {SEED}, {peer} pylibjpeg-rle): "
          + ", ".join(f"{k} {v}" for k, v in counts.most_common()))
    for kind in dict.fromkeys(o.case.kind for o in outcomes):
        of_kind = Counter(o.code if o.outcome == "typed" else o.outcome for o in outcomes if o.case.kind == kind)
        print(f"  {kind}: " + ", ".join(f"{k} {v}" for k, v in of_kind.most_common()))


def _pixels(data: bytes) -> np.ndarray | None:
    """Return the pixels pydicom's own decoders find in `data`, or ``None`` if it cannot decode them."""
    try:
        ds = read(data)
        ds.pixel_array_options(decoding_plugin="pydicom")
        return ds.pixel_array
    except Exception:  # a damaged input pydicom refuses too
        return None


def test_every_case_ends_in_a_typed_error_or_a_result(campaign):
    outcomes, _, _ = campaign
    bad = [f"{o.case.name} -> {o.case.target}: {o.outcome} {o.code} {o.message[:300]}"
           for o in outcomes if o.outcome not in ("done", "typed") or o.code == "internal"]
    assert not bad, "\n".join(bad)


def test_typed_errors_are_one_line_for_a_person(campaign):
    outcomes, _, _ = campaign
    bad = [f"{o.case.name}: {o.message!r}" for o in outcomes if o.outcome == "typed"
           and ("\n" in o.message or "Traceback" in o.message or len(o.message) > 400)]
    assert not bad, "\n".join(bad)


def test_results_hold_the_pixels_pydicom_finds_in_the_input(campaign):
    outcomes, _, _ = campaign
    bad = []
    for o in outcomes:
        if o.outcome != "done":
            continue
        want, got = _pixels(o.file.read_bytes()), _pixels(o.result.read_bytes())
        if want is None or got is None or want.shape != got.shape or not np.array_equal(want, got):
            bad.append(f"{o.case.name} -> {o.case.target}: input {None if want is None else want.shape}, "
                       f"result {None if got is None else got.shape}")
    assert not bad, "\n".join(bad)


def test_a_sample_of_rle_results_decodes_the_same_with_dcmtk(campaign, tmp_path):
    peers.require_dcmtk()
    outcomes, _, _ = campaign
    rle = [o for o in outcomes if o.outcome == "done" and o.case.target == "rle"]
    sample = rle[:: max(1, len(rle) // DCMTK_SAMPLE)][:DCMTK_SAMPLE]
    assert sample
    for o in sample:
        decoded = peers.dcmdrle(o.result, tmp_path / f"{o.file.stem}.dcm")
        assert np.array_equal(_pixels(decoded.read_bytes()), _pixels(o.result.read_bytes())), o.case.name


def test_inputs_are_unchanged_and_nothing_is_left_behind(campaign):
    outcomes, folder, digests = campaign
    assert {name: _digest(folder / name) for name in digests} == digests
    assert list((folder / "cwd").iterdir()) == []
    assert len(outcomes) == len(digests)
