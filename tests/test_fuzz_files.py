"""The file fuzzer: about 640 damaged and hostile files made from real ones, through the service.

Every case of :mod:`tests.fuzz_cases` (seeded: the same cases every run; more seeds with
``DICOMPRESS_FUZZ_CASES``, see :mod:`tests.fuzz_campaign`) is converted by
:func:`dicompress.service.convert` in a child process (:mod:`tests.fuzz_worker`, batches of
cases per process, two processes at a time) whose address space is capped and whose every
case has a CPU-time cap (``tests/test_wasm32_fuzz.py`` runs the same cases inside Pyodide).
With pylibjpeg-rle installed (the test extra has it), a frame our decoder refuses would reach
it if the service ever fell through to other plugins. Each case must end in

* a typed :class:`~dicompress.errors.ConversionError` with a one-line message, never the
  ``internal`` one (an exception nobody mapped), or
* a result whose pixels pydicom decodes exactly as it decodes the input's (and DCMTK's
  ``dcmdrle`` too, for a sample of the RLE results);

never a hang, a crash, a MemoryError or another exception, a file in the working folder, or
a modified input. The outcome counts are printed (``pytest -s``).
"""

import numpy as np
import pytest

from tests import fuzz_campaign, peers
from tests.dicom_files import read

#: How many RLE results DCMTK decodes too.
DCMTK_SAMPLE = 20


@pytest.fixture(scope="module")
def campaign(fuzz_cases_written, fuzz_cpython) -> tuple[list[fuzz_campaign.Outcome], fuzz_campaign.Campaign]:
    """Every case converted on CPython (the session's run), with the cases as written."""
    peer = "with" if peers.pylibjpeg_rle_available() else "WITHOUT"
    print(f"\nfuzz: {peer} pylibjpeg-rle")
    return fuzz_cpython, fuzz_cases_written


def pixels(data: bytes) -> np.ndarray | None:
    """Return the pixels pydicom's own decoders find in `data`, or ``None`` if it cannot decode them."""
    try:
        ds = read(data)
        ds.pixel_array_options(decoding_plugin="pydicom")
        return ds.pixel_array
    except Exception:  # a damaged input pydicom refuses too
        return None


def test_every_case_ends_in_a_typed_error_or_a_result(campaign):
    outcomes, _ = campaign
    bad = [f"{o.case.name} -> {o.case.target}: {o.outcome} {o.code} {o.message[:300]}"
           for o in outcomes if o.outcome not in ("done", "typed") or o.code == "internal"]
    assert not bad, "\n".join(bad)


def test_typed_errors_are_one_line_for_a_person(campaign):
    outcomes, _ = campaign
    bad = [f"{o.case.name}: {o.message!r}" for o in outcomes if o.outcome == "typed"
           and ("\n" in o.message or "Traceback" in o.message or len(o.message) > 400)]
    assert not bad, "\n".join(bad)


def test_results_hold_the_pixels_pydicom_finds_in_the_input(campaign):
    outcomes, _ = campaign
    bad = pixel_differences(outcomes)
    assert not bad, "\n".join(bad)


def pixel_differences(outcomes: list[fuzz_campaign.Outcome]) -> list[str]:
    """Return the results whose pixels are not those pydicom finds in their input, one line each."""
    bad = []
    for o in outcomes:
        if o.outcome != "done":
            continue
        want, got = pixels(o.file.read_bytes()), pixels(o.result.read_bytes())
        if want is None or got is None or want.shape != got.shape or not np.array_equal(want, got):
            bad.append(f"{o.case.name} -> {o.case.target}: input {None if want is None else want.shape}, "
                       f"result {None if got is None else got.shape}")
    return bad


def test_a_sample_of_rle_results_decodes_the_same_with_dcmtk(campaign, tmp_path):
    peers.require_dcmtk()
    outcomes, _ = campaign
    rle = [o for o in outcomes if o.outcome == "done" and o.case.target == "rle"]
    sample = rle[:: max(1, len(rle) // DCMTK_SAMPLE)][:DCMTK_SAMPLE]
    assert sample
    for o in sample:
        decoded = peers.dcmdrle(o.result, tmp_path / f"{o.file.stem}.dcm")
        assert np.array_equal(pixels(decoded.read_bytes()), pixels(o.result.read_bytes())), o.case.name


def test_inputs_are_unchanged_and_nothing_is_left_behind(campaign):
    outcomes, written = campaign
    assert {name: fuzz_campaign.digest(written.folder / name) for name in written.digests} == written.digests
    assert list((written.folder / "cwd").iterdir()) == []
    assert len(outcomes) == len(written.digests)
