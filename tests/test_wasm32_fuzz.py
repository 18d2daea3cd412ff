"""The file fuzzer inside Pyodide: the page's interpreter (wasm32, a 32-bit ``ssize_t``) gets the same cases.

The cases of ``tests/test_fuzz_files.py`` (:mod:`tests.fuzz_campaign`: the same files; by
default every third case and every case of the kinds made for wasm32, some 240; with
``DICOMPRESS_FUZZ_CASES=20000``, every case of a larger run) are converted by
:func:`dicompress.service.convert` inside the pinned Pyodide with its numpy, in Node
(``tests/pyodide/run_checks.mjs --fuzz``, two processes at a time). Each case must end as
on CPython:

* a typed error with the very code CPython gives, never ``internal``, or
* a result whose pixels pydicom (on the host) decodes exactly as it decodes the input's;

never a hang (:data:`~tests.fuzz_campaign.WASM32_SECONDS` per case), a crash of Pyodide or an
exception. The counts and the time per case are printed (``pytest -s``).
"""

import statistics
from pathlib import Path

import pytest

from tests import fuzz_campaign, hostile_files
from tests.fuzz_cases import Case
from tests.test_fuzz_files import pixel_differences
from tests.test_hostile import ZEROS, ZEROS_RATIO, ZEROS_REFUSED
from tests.test_wasm32 import require_tools, wheels

pytestmark = pytest.mark.wasm32


@pytest.fixture(scope="module")
def pyodide(tmp_path_factory) -> tuple[str, Path, Path]:
    """Node, and the numpy and pydicom wheels Pyodide loads."""
    node = require_tools()
    return (node, *wheels(tmp_path_factory.mktemp("wasm32-fuzz") / "dist"))


@pytest.fixture(scope="module")
def wasm32_outcomes(fuzz_cases_written, pyodide) -> list[fuzz_campaign.Outcome]:
    """The sample of the fuzz cases converted inside Pyodide; the counts and seconds printed."""
    indices = fuzz_campaign.wasm32_sample(fuzz_cases_written)
    outcomes = fuzz_campaign.run_wasm32(fuzz_cases_written, indices, *pyodide)
    seconds = sorted(o.seconds for o in outcomes)
    print(f"\nfuzz in Pyodide (wasm32): {len(outcomes)} of {len(fuzz_cases_written.cases)} cases "
          f"({fuzz_cases_written.seeds} seed(s)), "
          f"{sum(seconds):.0f} s converting (median {statistics.median(seconds):.3f} s, "
          f"slowest {seconds[-1]:.1f} s): {fuzz_campaign.counts(outcomes)}")
    return outcomes


def test_every_case_ends_in_a_typed_error_or_a_result_in_wasm32(wasm32_outcomes):
    bad = [f"{o.case.name} -> {o.case.target}: {o.outcome} {o.code} {o.message[:300]}"
           for o in wasm32_outcomes if o.outcome not in ("done", "typed") or o.code == "internal"]
    assert not bad, "\n".join(bad)


def test_every_case_ends_in_wasm32_as_on_cpython(wasm32_outcomes, fuzz_cpython):
    on_cpython = {o.file: o for o in fuzz_cpython}
    bad = [f"{w.case.name} ({w.file.name}) -> {w.case.target}: wasm32 {w.code} ({w.message[:150]}), CPython {c.code} "
           f"({c.message[:150]})" for w in wasm32_outcomes if w.code != (c := on_cpython[w.file]).code]
    assert not bad, "\n".join(bad)


def test_wasm32_results_hold_the_pixels_pydicom_finds_in_the_input(wasm32_outcomes):
    done = [o for o in wasm32_outcomes if o.outcome == "done"]
    assert done
    bad = pixel_differences(done)
    assert not bad, "\n".join(bad)


def test_refusing_100_mb_of_deflated_zeros_in_wasm32_takes_a_small_multiple_of_converting_the_data_set(
    pyodide, tmp_path
):
    # As tests/test_hostile.py measures it on CPython: a ratio within one run, not a wall clock.
    zeros = Case("deflated-zeros", "bounded-work", hostile_files.deflated_trailing_zeros(ZEROS), "rle")
    ordinary = Case("deflated", "bounded-work", hostile_files.deflated_trailing_zeros(0), "rle")
    campaign = fuzz_campaign.write(tmp_path, [ordinary, zeros] * 5)
    outcomes = fuzz_campaign.run_wasm32(campaign, list(range(10)), *pyodide)
    assert {(o.case.name, o.code, o.message or None) for o in outcomes} == {
        ("deflated", "done", None), ("deflated-zeros", "damaged", ZEROS_REFUSED)}
    # The first conversion in a new Pyodide imports the codec: left out.
    ratio = (statistics.median(o.seconds for o in outcomes[3::2])
             / statistics.median(o.seconds for o in outcomes[2::2]))
    print(f"\nin Pyodide, refusing 100 MB of deflated zeros / converting the same data set: {ratio:.2f}")
    assert ratio < ZEROS_RATIO
