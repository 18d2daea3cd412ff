"""The file fuzzer inside Pyodide: the page's interpreter (wasm32, a 32-bit ``ssize_t``) gets the same cases.

The cases of ``tests/test_fuzz_files.py`` (:mod:`tests.fuzz_campaign`: the same files; by
default every third case and every case of the kinds made for wasm32, some 260; with
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

import pytest

from tests import fuzz_campaign
from tests.test_fuzz_files import pixel_differences
from tests.test_wasm32 import require_tools, wheels

pytestmark = pytest.mark.wasm32


@pytest.fixture(scope="module")
def wasm32_outcomes(fuzz_cases_written, tmp_path_factory) -> list[fuzz_campaign.Outcome]:
    """Every fuzz case converted inside Pyodide; the counts and seconds printed."""
    node = require_tools()
    numpy_wheel, pydicom_wheel = wheels(tmp_path_factory.mktemp("wasm32-fuzz") / "dist")
    indices = fuzz_campaign.wasm32_sample(fuzz_cases_written)
    outcomes = fuzz_campaign.run_wasm32(fuzz_cases_written, indices, node, numpy_wheel, pydicom_wheel)
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
    bad = [f"{w.case.name} -> {w.case.target}: wasm32 {w.code} ({w.message[:150]}), CPython {c.code} "
           f"({c.message[:150]})" for w in wasm32_outcomes if w.code != (c := on_cpython[w.file]).code]
    assert not bad, "\n".join(bad)


def test_wasm32_results_hold_the_pixels_pydicom_finds_in_the_input(wasm32_outcomes):
    done = [o for o in wasm32_outcomes if o.outcome == "done"]
    assert done
    bad = pixel_differences(done)
    assert not bad, "\n".join(bad)
