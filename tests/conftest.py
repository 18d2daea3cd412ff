"""Shared fixtures: the real-image corpus and a clean pydicom plugin registry.

``tests`` is a package: test modules import the helpers as ``from tests import corpus, peers``.

Fixtures
--------
corpus_images
    Every image of pydicom's test files and pydicom-data (:mod:`corpus`), listed once.
pristine_plugins
    pydicom's RLE Lossless encoder and decoder exactly as pydicom ships them (no
    dicompress plugin, pydicom's own encoding profiles) for the test; whatever the test
    does to them is undone afterwards.
registered
    Like ``pristine_plugins``, then ``dicompress.register(prefer=True)``.
fuzz_cases_written, fuzz_cpython
    The file fuzzer's cases written once, and their outcomes on CPython
    (:mod:`tests.fuzz_campaign`), shared by ``test_fuzz_files.py`` and ``test_wasm32_fuzz.py``.
"""

from pathlib import Path

import pytest
from pydicom.pixels.decoders import RLELosslessDecoder
from pydicom.pixels.encoders import RLELosslessEncoder
from pydicom.pixels.encoders.base import ENCODING_PROFILES
from pydicom.uid import RLELossless

from tests import corpus, fuzz_campaign

#: pydicom's own RLE Lossless encoding profiles, taken at start-up (before any register()).
_PYDICOM_PROFILES = list(ENCODING_PROFILES[RLELossless])
_OUR_LABEL = "dicompress"


@pytest.fixture(scope="session")
def corpus_images() -> tuple[corpus.Image, ...]:
    """Every image file of pydicom's test files and pydicom-data."""
    return corpus.all_images()


def _snapshot(coder) -> tuple[dict, dict]:
    return dict(coder._available), dict(coder._unavailable)


def _restore(coder, state: tuple[dict, dict]) -> None:
    available, unavailable = state
    coder._available.clear()
    coder._available.update(available)
    coder._unavailable.clear()
    coder._unavailable.update(unavailable)


@pytest.fixture
def pristine_plugins():
    """pydicom's RLE coders and profiles without dicompress; restored after the test."""
    coders = (RLELosslessEncoder, RLELosslessDecoder)
    saved = [_snapshot(coder) for coder in coders]
    saved_profiles = list(ENCODING_PROFILES[RLELossless])
    for coder in coders:
        coder._available.pop(_OUR_LABEL, None)
        coder._unavailable.pop(_OUR_LABEL, None)
    ENCODING_PROFILES[RLELossless][:] = _PYDICOM_PROFILES
    try:
        yield
    finally:
        for coder, state in zip(coders, saved):
            _restore(coder, state)
        ENCODING_PROFILES[RLELossless][:] = saved_profiles


@pytest.fixture
def registered(pristine_plugins):
    """dicompress registered with ``prefer=True`` on a pristine registry; undone after."""
    import dicompress

    dicompress.register(prefer=True)
    yield


@pytest.fixture(scope="module")
def module_tmp(tmp_path_factory, request) -> Path:
    """A temporary folder shared by the tests of one module (for cached peer outputs)."""
    return tmp_path_factory.mktemp(request.module.__name__.rsplit(".", 1)[-1])


@pytest.fixture(scope="session")
def fuzz_cases_written(tmp_path_factory) -> fuzz_campaign.Campaign:
    """The file fuzzer's cases, written once (:mod:`tests.fuzz_campaign`)."""
    return fuzz_campaign.write_cases(tmp_path_factory.mktemp("fuzz"))


@pytest.fixture(scope="session")
def fuzz_cpython(fuzz_cases_written) -> list[fuzz_campaign.Outcome]:
    """Every fuzz case converted on CPython, in capped child processes; the counts printed."""
    outcomes = fuzz_campaign.run_cpython(fuzz_cases_written)
    print(f"\nfuzz on CPython: {len(outcomes)} cases ({fuzz_cases_written.seeds} seed(s) from "
          f"{fuzz_campaign.SEED}): {fuzz_campaign.counts(outcomes)}")
    return outcomes
